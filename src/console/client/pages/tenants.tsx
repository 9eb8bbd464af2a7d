/** Operator: every tenant, and a form to create one (its first token shown once). */
import { useEffect, useState } from "hono/jsx/dom";
import type { CreatedTenant, TenantUsage } from "../../../client/index.ts";
import { api, errorText, SchedulerProblem, type Tenant } from "../api";
import { usePaged } from "../hooks";
import { Link } from "../router";
import {
  Button,
  described,
  Empty,
  ErrorBox,
  Field,
  Loading,
  More,
  Page,
  StatusBadge,
  Time,
} from "../ui/components";
import { notify } from "../ui/feedback";
import { SecretBox } from "../ui/secret";

const TIERS = ["free", "standard", "premium"] as const;

/** A tenant's live jobs, runs in flight and 429s in the last hour (one call to its object). */
function UsageCells(props: { id: string }) {
  const [usage, setUsage] = useState<TenantUsage | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    api()
      .tenants.usage(props.id)
      .then((u) => live && setUsage(u))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [props.id]);
  const show = (value: (u: TenantUsage) => string) => (usage ? value(usage) : failed ? "?" : "…");
  return (
    <>
      <td data-label="Jobs">{show((u) => String((u.jobs.active ?? 0) + (u.jobs.paused ?? 0)))}</td>
      <td data-label="In flight">{show((u) => `${u.runs_in_flight} / ${u.max_in_flight}`)}</td>
      <td data-label="Dead letters">{show((u) => String(u.dead_letters))}</td>
      <td data-label="429s (1 h)">{show((u) => String(u.rate_limited_last_hour))}</td>
    </>
  );
}

function CreateTenant(props: { onCreated: () => void }) {
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [tier, setTier] = useState<(typeof TIERS)[number]>("standard");
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedTenant | null>(null);
  const submit = async () => {
    setErrors({});
    setFailure(null);
    setBusy(true);
    try {
      const tenant = await api().tenants.create({
        ...(id.trim() ? { id: id.trim() } : {}),
        name: name.trim(),
        tier,
      });
      setCreated(tenant);
      setId("");
      setName("");
      notify(`Created tenant ${tenant.id}.`);
      props.onCreated();
    } catch (error) {
      if (error instanceof SchedulerProblem && error.errors.length) {
        const byField: Record<string, string[]> = {};
        for (const e of error.errors) {
          const field = e.path.split(".")[0] as string;
          byField[field] = [...(byField[field] ?? []), e.message];
        }
        setErrors(byField);
        document
          .getElementById(error.errors[0]?.path === "id" ? "tenant-id" : "tenant-name")
          ?.focus();
      } else setFailure(errorText(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="create-tenant">
      <h2 id="create-tenant">New tenant</h2>
      <form
        method="post"
        noValidate
        onSubmit={(e: Event) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div class="row">
          <Field
            id="tenant-id"
            label="Id (optional)"
            hint="3 to 40 lowercase letters, digits, inner hyphens."
            errors={errors.id}
          >
            <input
              {...described("tenant-id", { hint: true, errors: errors.id })}
              autocomplete="off"
              spellcheck={false}
              value={id}
              onInput={(e: Event) => setId((e.target as HTMLInputElement).value)}
            />
          </Field>
          <Field id="tenant-name" label="Name" errors={errors.name}>
            <input
              {...described("tenant-name", { errors: errors.name })}
              autocomplete="off"
              value={name}
              onInput={(e: Event) => setName((e.target as HTMLInputElement).value)}
            />
          </Field>
          <Field id="tenant-tier" label="Tier" errors={errors.tier}>
            <select
              {...described("tenant-tier", { errors: errors.tier })}
              value={tier}
              onChange={(e: Event) =>
                setTier((e.target as HTMLSelectElement).value as (typeof TIERS)[number])
              }
            >
              {TIERS.map((t) => (
                <option value={t}>{t}</option>
              ))}
            </select>
          </Field>
        </div>
        {failure ? (
          <p class="inline-error" role="alert">
            {failure}
          </p>
        ) : null}
        <Button type="submit" kind="primary" busy={busy} busyText="Creating…">
          Create tenant
        </Button>
      </form>
      {created ? (
        <div class="created" role="status">
          <p>
            Tenant <Link to={`/tenants/${encodeURIComponent(created.id)}`}>{created.id}</Link>{" "}
            created. Give its owner the token; webhook receivers verify signatures with the signing
            secret.
          </p>
          <SecretBox id="created-token" label="Write token" value={created.token} />
          <SecretBox
            id="created-secret"
            label="Signing secret"
            value={created.signing_secret}
            note="Shown once: copy it now."
          />
        </div>
      ) : null}
    </section>
  );
}

export function TenantsPage() {
  const tenants = usePaged<Tenant>((signal) => api().tenants.list({ limit: 100 }, { signal }), [], {
    want: 100,
  });
  return (
    <Page
      title="Tenants"
      actions={
        <button type="button" class="button plain" onClick={tenants.reload}>
          Refresh
        </button>
      }
    >
      <Loading when={tenants.loading} label="Loading tenants…" />
      <ErrorBox
        error={tenants.error}
        onRetry={tenants.reload}
        context="Could not load the tenants"
      />
      {!tenants.loading && !tenants.error && tenants.items.length === 0 ? (
        <Empty title="No tenants yet.">
          <p>Create the first one below; its write token is shown once.</p>
        </Empty>
      ) : null}
      {tenants.items.length ? (
        <table class="table responsive">
          <caption class="visually-hidden">Tenants</caption>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Name</th>
              <th scope="col">Tier</th>
              <th scope="col">State</th>
              <th scope="col">Jobs</th>
              <th scope="col">In flight</th>
              <th scope="col">Dead letters</th>
              <th scope="col">429s (1 h)</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {tenants.items.map((t) => (
              <tr>
                <td data-label="Tenant">
                  <Link to={`/tenants/${encodeURIComponent(t.id)}`} class="mono">
                    {t.id}
                  </Link>
                </td>
                <td data-label="Name">{t.name}</td>
                <td data-label="Tier">{t.tier}</td>
                <td data-label="State">
                  {t.suspended ? (
                    <StatusBadge status="suspended" />
                  ) : (
                    <StatusBadge status="active" />
                  )}
                </td>
                <UsageCells id={t.id} />
                <td data-label="Created">
                  <Time iso={t.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <More
        hasMore={tenants.hasMore}
        busy={tenants.loadingMore}
        onMore={tenants.more}
        what="tenants"
      />
      <p class="muted small">
        Jobs are live ones (active and paused); in flight is runs queued or running against the
        tenant's cap; 429s are requests refused in the last hour (GET /v1/admin/tenants/:id/usage).
      </p>
      <CreateTenant onCreated={tenants.reload} />
    </Page>
  );
}
