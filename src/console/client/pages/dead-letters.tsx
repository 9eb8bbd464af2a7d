/** Runs that used up their attempts: read why, replay one or many. */
import { useState } from "hono/jsx/dom";
import { api, errorText, type Run } from "../api";
import { usePaged } from "../hooks";
import { useJobNames } from "../job-names";
import { Link } from "../router";
import { Button, Empty, ErrorBox, Loading, More, Page } from "../ui/components";
import { confirmAction, notify } from "../ui/feedback";
import { RunTable } from "./run-common";

export function DeadLettersPage() {
  const runs = usePaged<Run>((signal) => api().deadLetters.list({ limit: 50 }, { signal }), []);
  const names = useJobNames(runs.items.map((r) => r.job_id));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [failures, setFailures] = useState<{ id: string; error: unknown }[]>([]);
  const dead = runs.items.filter((r) => r.status === "dead");
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = dead.length > 0 && dead.every((r) => selected.has(r.id));

  const replay = async (ids: string[]) => {
    if (ids.length === 0) return;
    if (
      ids.length > 1 &&
      !(await confirmAction({
        title: `Replay ${ids.length} runs?`,
        body: <p>Each gets a fresh set of attempts and is called again, one after another.</p>,
        confirm: `Replay ${ids.length} runs`,
      }))
    )
      return;
    setFailures([]);
    setProgress({ done: 0, total: ids.length });
    const failed: { id: string; error: unknown }[] = [];
    let replayed = 0;
    // One at a time: a burst of replays would count against the tenant's request rate at once.
    for (const id of ids) {
      try {
        const run = await api().runs.replay(id);
        runs.update((r) => r.id === id, run);
        replayed++;
      } catch (error) {
        failed.push({ id, error });
      }
      setProgress({ done: replayed + failed.length, total: ids.length });
    }
    setProgress(null);
    setFailures(failed);
    setSelected(new Set());
    notify(
      failed.length
        ? `Replayed ${replayed} of ${ids.length} runs; ${failed.length} failed (see below).`
        : `Replayed ${replayed} run${replayed === 1 ? "" : "s"}.`,
      failed.length ? "bad" : "ok",
    );
  };

  return (
    <Page
      title="Dead letters"
      lead={
        <p>
          Runs whose every attempt failed. Fix the cause (the target, its URL, the worker), then
          replay them: each gets a fresh set of attempts.
        </p>
      }
      actions={
        <>
          <button type="button" class="button plain" onClick={runs.reload}>
            Refresh
          </button>
          <Button
            kind="primary"
            disabled={selected.size === 0}
            busy={progress !== null}
            busyText={progress ? `Replaying ${progress.done}/${progress.total}…` : undefined}
            onClick={() => void replay([...selected])}
          >
            Replay selected ({selected.size})
          </Button>
        </>
      }
    >
      <Loading when={runs.loading} label="Loading dead letters…" />
      <ErrorBox
        error={runs.error}
        onRetry={runs.reload}
        context="Could not load the dead letters"
      />
      {failures.length ? (
        <div class="error-box" role="alert">
          <p>These runs were not replayed:</p>
          <ul>
            {failures.map((f) => (
              <li>
                <Link to={`/runs/${encodeURIComponent(f.id)}`} class="mono">
                  {f.id}
                </Link>
                : {errorText(f.error)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {!runs.loading && !runs.error && runs.items.length === 0 ? (
        <Empty title="No dead letters.">
          <p>Every run either succeeded or is still being retried. Nothing to replay.</p>
        </Empty>
      ) : null}
      {runs.items.length ? (
        <>
          <div class="bulk">
            <label class="choice">
              <input
                type="checkbox"
                id="select-all"
                checked={allSelected}
                onChange={() =>
                  setSelected(allSelected ? new Set() : new Set(dead.map((r) => r.id)))
                }
              />
              Select all {dead.length} shown
            </label>
          </div>
          <RunTable
            runs={runs.items}
            showJob
            jobNames={names}
            caption="Dead runs"
            select={{ selected, toggle }}
            action={(run) =>
              run.status === "dead" ? (
                <button
                  type="button"
                  class="button small"
                  aria-label={`Replay run ${run.id}`}
                  disabled={progress !== null}
                  onClick={() => void replay([run.id])}
                >
                  Replay
                </button>
              ) : (
                <span class="muted small">replayed: {run.status}</span>
              )
            }
          />
        </>
      ) : null}
      <More hasMore={runs.hasMore} busy={runs.loadingMore} onMore={runs.more} what="dead letters" />
    </Page>
  );
}
