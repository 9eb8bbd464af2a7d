/**
 * Flow control: the tenant's flow keys and destination hosts with their limits and what they use
 * now (refreshed every few seconds), limits set, changed and removed in place.
 */
import { useState } from "hono/jsx/dom";
import type { Destination, FlowKey, FlowLimitsInput } from "../../../client/index.ts";
import { api } from "../api";
import {
  emptyLimitsForm,
  type FlowUsage,
  type LimitsForm,
  limitsFormOf,
  limitsSource,
  limitsText,
} from "../flow-model";
import { type PagedSource, useAction, useInterval, usePaged } from "../hooks";
import { Link } from "../router";
import { Button, Empty, ErrorBox, Loading, More, Page } from "../ui/components";
import { confirmAction, notify } from "../ui/feedback";
import { LimitsEditor } from "../ui/limits-editor";

/** How often usage is read again while the page is open. */
const REFRESH_MS = 5000;

interface Kind<T extends FlowUsage> {
  /** `key`, `host`: the prefix of ids and the name's field. */
  id: "key" | "host";
  title: string;
  /** `flow key`, `destination`, in sentences. */
  noun: string;
  nameOf: (usage: T) => string;
  list: (signal: AbortSignal) => PagedSource<T>;
  set: (name: string, limits: FlowLimitsInput) => Promise<T>;
  remove: (name: string) => Promise<void>;
  waiting: boolean;
  nameField: { label: string; hint: string; placeholder: string; path: "key" | "host" };
}

const KEYS: Kind<FlowKey> = {
  id: "key",
  title: "Flow keys",
  noun: "flow key",
  nameOf: (u) => u.key,
  list: (signal) => api().flowKeys.list({ limit: 100 }, { signal }),
  set: (name, limits) => api().flowKeys.set(name, limits),
  remove: (name) => api().flowKeys.delete(name),
  waiting: true,
  nameField: {
    label: "Flow key",
    hint: "1 to 128 visible characters, as jobs name it in flow_key (a customer id, say).",
    placeholder: "customer-4711",
    path: "key",
  },
};

const HOSTS: Kind<Destination> = {
  id: "host",
  title: "Destinations",
  noun: "destination",
  nameOf: (u) => u.host,
  list: (signal) => api().destinations.list({ limit: 100 }, { signal }),
  set: (name, limits) => api().destinations.set(name, limits),
  remove: (name) => api().destinations.delete(name),
  waiting: false,
  nameField: {
    label: "Host",
    hint: "The host of webhook URLs, lowercase, with :port when the URLs name one.",
    placeholder: "api.example.com",
    path: "host",
  },
};

function Running(props: { usage: FlowUsage }) {
  const max = props.usage.limits?.max_running;
  const full = max !== undefined && props.usage.running >= max;
  return (
    <span class={full ? "at-limit" : undefined}>
      {props.usage.running}
      {max !== undefined ? <span class="muted"> of {max}</span> : null}
      {full ? <span class="muted small"> (at its limit)</span> : null}
    </span>
  );
}

function Tokens(props: { usage: FlowUsage }) {
  const rate = props.usage.limits?.rate;
  if (props.usage.rate_tokens === null || !rate) return <span class="muted">—</span>;
  return (
    <span>
      {props.usage.rate_tokens}
      <span class="muted"> of {rate.burst ?? rate.limit}</span>
    </span>
  );
}

function Source(props: { usage: FlowUsage }) {
  const source = limitsSource(props.usage);
  if (source === "own") return <span>its own</span>;
  if (source === "default") return <span class="muted">tenant default</span>;
  return <span class="muted">—</span>;
}

function FlowSection<T extends FlowUsage>(props: { kind: Kind<T> }) {
  const { kind } = props;
  const list = usePaged<T>((signal) => kind.list(signal), [], { want: 100 });
  const [editing, setEditing] = useState<{ form: LimitsForm; generation: number; isNew: boolean }>({
    form: emptyLimitsForm(),
    generation: 0,
    isNew: true,
  });
  useInterval(list.reload, REFRESH_MS, !list.loading && list.items.length <= 100);
  const edit = (usage: T) => {
    setEditing((e) => ({
      form: limitsFormOf(kind.nameOf(usage), usage.own_limits ? usage.limits : null),
      generation: e.generation + 1,
      isNew: false,
    }));
    queueMicrotask(() => document.getElementById(`${kind.id}-limits-max-running`)?.focus());
  };
  const remove = useAction(async (name: string) => {
    const ok = await confirmAction({
      title: `Remove the limits of ${name}?`,
      body: (
        <p>
          {kind.id === "key"
            ? "Its runs then follow the tenant's default limits, if any; runs waiting for it may start at once."
            : "Webhook runs to this host are then limited only by their flow keys and the tenant's cap."}
        </p>
      ),
      confirm: "Remove the limits",
      danger: true,
    });
    if (!ok) return;
    await kind.remove(name);
    notify(`Removed the limits of ${kind.noun} ${name}.`);
    list.reload();
  });
  const save = async (name: string, limits: FlowLimitsInput) => {
    const saved = await kind.set(name, limits);
    notify(`Saved the limits of ${kind.noun} ${kind.nameOf(saved)}: ${limitsText(saved.limits)}.`);
    setEditing((e) => ({ form: emptyLimitsForm(), generation: e.generation + 1, isNew: true }));
    list.reload();
  };
  const heading = `${kind.id}-section`;
  return (
    <section aria-labelledby={heading} class="flow-section">
      <h2 id={heading}>{kind.title}</h2>
      <Loading when={list.loading && list.items.length === 0} label={`Loading ${kind.noun}s…`} />
      <ErrorBox
        error={list.error ?? remove.error}
        onRetry={list.reload}
        context={`Could not load or change the ${kind.noun}s`}
      />
      {!list.loading && !list.error && list.items.length === 0 ? (
        <Empty title={`No ${kind.noun} has limits or runs now.`}>
          <p>
            {kind.id === "key"
              ? "Name a flow key on a job (flow_key) to count its runs under it, and give the key limits below."
              : "Limit what the tenant's webhooks send to one host, whatever their flow keys."}
          </p>
        </Empty>
      ) : null}
      {list.items.length ? (
        <table class="table responsive" id={`${kind.id}-table`}>
          <caption class="visually-hidden">{kind.title}</caption>
          <thead>
            <tr>
              <th scope="col">{kind.nameField.label}</th>
              <th scope="col">Limits</th>
              <th scope="col">From</th>
              <th scope="col">Running</th>
              {kind.waiting ? <th scope="col">Waiting</th> : null}
              <th scope="col">Rate tokens</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((usage) => {
              const name = kind.nameOf(usage);
              return (
                <tr data-name={name}>
                  <td data-label={kind.nameField.label} class="mono">
                    {name}
                  </td>
                  <td data-label="Limits">{limitsText(usage.limits)}</td>
                  <td data-label="From">
                    <Source usage={usage} />
                  </td>
                  <td data-label="Running">
                    <Running usage={usage} />
                  </td>
                  {kind.waiting ? (
                    <td data-label="Waiting">
                      {usage.waiting ? (
                        <Link to="/runs?status=pending">{String(usage.waiting)}</Link>
                      ) : (
                        "0"
                      )}
                    </td>
                  ) : null}
                  <td data-label="Rate tokens">
                    <Tokens usage={usage} />
                  </td>
                  <td data-label="Actions">
                    <span class="actions">
                      <Button
                        small
                        onClick={() => edit(usage)}
                        label={`Edit the limits of ${name}`}
                      >
                        {usage.own_limits ? "Edit" : "Set limits"}
                      </Button>
                      {usage.own_limits ? (
                        <Button
                          small
                          kind="danger"
                          busy={remove.busy}
                          onClick={() => void remove.run(name)}
                          label={`Remove the limits of ${name}`}
                        >
                          Remove
                        </Button>
                      ) : null}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      <More
        hasMore={list.hasMore}
        busy={list.loadingMore}
        onMore={list.more}
        what={`${kind.noun}s`}
      />
      <div class="card">
        <h3>
          {editing.isNew ? `Limit a ${kind.noun}` : `Limits of ${kind.noun} ${editing.form.name}`}
        </h3>
        <LimitsEditor
          prefix={`${kind.id}-limits`}
          initial={editing.form}
          generation={editing.generation}
          nameField={editing.isNew ? kind.nameField : undefined}
          submitLabel={editing.isNew ? `Limit the ${kind.noun}` : "Save the limits"}
          onSave={save}
        />
      </div>
    </section>
  );
}

export function FlowPage() {
  return (
    <Page
      title="Flow control"
      lead={
        <p>
          A flow key (a job's <code>flow_key</code>, such as one of your customers) and a
          destination host may each have limits: runs at once (<em>max running</em>) and runs
          started per period (<em>rate</em>, with a <em>burst</em>). A run over a limit waits
          without using an attempt, and waiting keys take turns. Usage refreshes every{" "}
          {REFRESH_MS / 1000} s.
        </p>
      }
    >
      <FlowSection kind={KEYS} />
      <FlowSection kind={HOSTS} />
    </Page>
  );
}
