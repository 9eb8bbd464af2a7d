/** Operator: one tenant's tier, suspension, in-flight cap, tokens and signing secret. */
import { useState } from "hono/jsx/dom";
import type { IssuedToken } from "../../../client/index.ts";
import { api, errorText, isProblem, type Tenant } from "../api";
import { useAction, useAsync } from "../hooks";
import { Link } from "../router";
import { tokenIdOf } from "../session";
import {
  Button,
  described,
  Empty,
  ErrorBox,
  Facts,
  Field,
  Loading,
  Page,
  StatusBadge,
  Time,
} from "../ui/components";
import { confirmAction, notify } from "../ui/feedback";
import { SecretBox } from "../ui/secret";
import { DefaultFlowLimits } from "./tenant-flow-defaults";

const TIERS = ["free", "standard", "premium"] as const;
const SCOPES = [
  ["write", "write: everything a tenant does"],
  ["read", "read: look only (dashboards, Prometheus)"],
  ["worker", "worker: claim and report runs (pull workers)"],
] as const;

function Settings(props: { tenant: Tenant; onChange: (t: Tenant) => void }) {
  const { tenant } = props;
  const [tier, setTier] = useState<Tenant["tier"]>(tenant.tier);
  const [cap, setCap] = useState(String(tenant.max_in_flight));
  const saveTier = useAction(async () => {
    const next = await api().tenants.update(tenant.id, { tier });
    props.onChange(next);
    notify(`${tenant.id} is now on the ${next.tier} tier.`);
  });
  const saveCap = useAction(async (value: number | null) => {
    const next = await api().tenants.update(tenant.id, { max_in_flight: value });
    props.onChange(next);
    setCap(String(next.max_in_flight));
    notify(`${tenant.id}: at most ${next.max_in_flight} runs in flight.`);
  });
  const suspend = useAction(async (suspended: boolean) => {
    if (suspended) {
      const ok = await confirmAction({
        title: `Suspend ${tenant.id}?`,
        body: (
          <p>
            Its requests are refused (403) and its runs are held until it is resumed. Occurrences
            that fall outside a job's catch-up window meanwhile are recorded missed.
          </p>
        ),
        confirm: "Suspend the tenant",
        danger: true,
      });
      if (!ok) return;
    }
    const next = await api().tenants.update(tenant.id, { suspended });
    props.onChange(next);
    notify(`${tenant.id} is ${next.suspended ? "suspended" : "active again"}.`);
  });
  const capNumber = Number(cap);
  return (
    <section class="card" aria-labelledby="tenant-settings">
      <h2 id="tenant-settings">Tier and limits</h2>
      <div class="row align-end">
        <Field
          id="tenant-tier"
          label="Tier"
          errors={saveTier.error ? [errorText(saveTier.error)] : undefined}
        >
          <select
            {...described("tenant-tier", { errors: saveTier.error ? ["x"] : undefined })}
            value={tier}
            onChange={(e: Event) =>
              setTier((e.target as HTMLSelectElement).value as Tenant["tier"])
            }
          >
            {TIERS.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </Field>
        <Button
          onClick={() => void saveTier.run()}
          busy={saveTier.busy}
          disabled={tier === tenant.tier}
        >
          Change tier
        </Button>
      </div>
      <div class="row align-end">
        <Field
          id="tenant-cap"
          label="Max runs in flight"
          hint="Overrides the tier's value for this tenant."
          errors={saveCap.error ? [errorText(saveCap.error)] : undefined}
        >
          <input
            {...described("tenant-cap", { hint: true, errors: saveCap.error ? ["x"] : undefined })}
            type="number"
            min="1"
            max="10000"
            step="1"
            value={cap}
            onInput={(e: Event) => setCap((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Button
          onClick={() => void saveCap.run(capNumber)}
          busy={saveCap.busy}
          disabled={!Number.isInteger(capNumber) || capNumber === tenant.max_in_flight}
        >
          Save
        </Button>
        <Button onClick={() => void saveCap.run(null)} busy={saveCap.busy}>
          Use the tier's value
        </Button>
      </div>
      <div class="row align-end">
        <p>
          {tenant.suspended ? (
            <>
              <StatusBadge status="suspended" /> Its requests are refused and its runs held.
            </>
          ) : (
            <>
              <StatusBadge status="active" /> Serving requests and running jobs.
            </>
          )}
        </p>
        {tenant.suspended ? (
          <Button kind="primary" onClick={() => void suspend.run(false)} busy={suspend.busy}>
            Resume the tenant
          </Button>
        ) : (
          <Button kind="danger" onClick={() => void suspend.run(true)} busy={suspend.busy}>
            Suspend the tenant
          </Button>
        )}
      </div>
      <ErrorBox error={suspend.error} context="Could not change the suspension" />
    </section>
  );
}

function Tokens(props: { tenant: Tenant }) {
  const { tenant } = props;
  const [scope, setScope] = useState<IssuedToken["scope"]>("write");
  const [issued, setIssued] = useState<IssuedToken[]>([]);
  const [latest, setLatest] = useState<IssuedToken | null>(null);
  const [revokeText, setRevokeText] = useState("");
  const [revokeError, setRevokeError] = useState<string | undefined>(undefined);
  const issue = useAction(async () => {
    const token = await api().tokens.issue(tenant.id, scope);
    setLatest(token);
    setIssued((list) => [token, ...list]);
    notify(`Issued a ${token.scope} token for ${tenant.id}.`);
  });
  const revoke = useAction(async (tokenId: string) => {
    const ok = await confirmAction({
      title: "Revoke this token?",
      body: (
        <p>
          Token <code>{tokenId}</code> stops working at once; whoever uses it gets 401. This cannot
          be undone.
        </p>
      ),
      confirm: "Revoke the token",
      danger: true,
    });
    if (!ok) return;
    await api().tokens.revoke(tenant.id, tokenId);
    setIssued((list) => list.filter((t) => t.id !== tokenId));
    if (latest?.id === tokenId) setLatest(null);
    setRevokeText("");
    notify(`Revoked token ${tokenId}.`);
  });
  return (
    <section class="card" aria-labelledby="tenant-tokens">
      <h2 id="tenant-tokens">Tokens</h2>
      <p class="hint">
        Rotation: issue a new token, switch its users over, revoke the old one. Only hashes are
        stored, so a token cannot be shown again or listed; revoke it by its id (the part after the
        tenant id).
      </p>
      <form
        method="post"
        noValidate
        class="row align-end"
        onSubmit={(e: Event) => {
          e.preventDefault();
          void issue.run();
        }}
      >
        <Field id="token-scope" label="Scope">
          <select
            id="token-scope"
            value={scope}
            onChange={(e: Event) =>
              setScope((e.target as HTMLSelectElement).value as IssuedToken["scope"])
            }
          >
            {SCOPES.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </Field>
        <Button type="submit" kind="primary" busy={issue.busy}>
          Issue a token
        </Button>
      </form>
      <ErrorBox error={issue.error} context="Could not issue a token" />
      {latest ? (
        <SecretBox
          id="issued-token"
          label={`New ${latest.scope} token (id ${latest.id})`}
          value={latest.token}
        />
      ) : null}
      {issued.length ? (
        <ul class="plain-list issued">
          {issued.map((t) => (
            <li>
              <span class="mono">{t.id}</span> ({t.scope}, issued <Time iso={t.created_at} />){" "}
              <Button
                small
                kind="danger"
                busy={revoke.busy}
                onClick={() => void revoke.run(t.id)}
                label={`Revoke token ${t.id}`}
              >
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
      <form
        method="post"
        noValidate
        class="row align-end"
        onSubmit={(e: Event) => {
          e.preventDefault();
          const id = tokenIdOf(revokeText);
          if (!id) {
            setRevokeError("Give a token id (16 letters and digits) or the whole token.");
            document.getElementById("revoke-token")?.focus();
            return;
          }
          setRevokeError(undefined);
          void revoke.run(id);
        }}
      >
        <Field
          id="revoke-token"
          label="Revoke a token"
          hint="Its id, or the token itself (only its id is sent)."
          errors={
            revokeError ? [revokeError] : revoke.error ? [errorText(revoke.error)] : undefined
          }
        >
          <input
            {...described("revoke-token", {
              hint: true,
              errors: revokeError || revoke.error ? ["x"] : undefined,
            })}
            type="password"
            autocomplete="off"
            spellcheck={false}
            value={revokeText}
            onInput={(e: Event) => setRevokeText((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Button type="submit" kind="danger" busy={revoke.busy}>
          Revoke
        </Button>
      </form>
    </section>
  );
}

function SigningSecret(props: { tenant: Tenant }) {
  const [secret, setSecret] = useState<{
    signing_secret: string;
    previous_expires_at: string;
  } | null>(null);
  const rotate = useAction(async () => {
    const ok = await confirmAction({
      title: "Rotate the signing secret?",
      body: (
        <p>
          Deliveries carry signatures with both the old and the new secret for a day; receivers must
          switch to the new secret within that day.
        </p>
      ),
      confirm: "Rotate",
    });
    if (!ok) return;
    setSecret(
      await api().tenants.rotateSigningSecret(props.tenant.id, { overlap_seconds: 86_400 }),
    );
  });
  return (
    <section class="card" aria-labelledby="tenant-secret">
      <h2 id="tenant-secret">Webhook signing secret</h2>
      <Button onClick={() => void rotate.run()} busy={rotate.busy}>
        Rotate the signing secret
      </Button>
      <ErrorBox error={rotate.error} context="Could not rotate" />
      {secret ? (
        <>
          <SecretBox id="new-secret" label="New signing secret" value={secret.signing_secret} />
          <p class="hint">
            The old secret keeps signing until{" "}
            <Time iso={secret.previous_expires_at} utc="inline" />.
          </p>
        </>
      ) : null}
    </section>
  );
}

export function TenantPage(props: { id: string }) {
  const tenant = useAsync((signal) => api().tenants.get(props.id, { signal }), [props.id]);
  const data = tenant.data;
  if (!data) {
    return (
      <Page title={`Tenant ${props.id}`}>
        <Loading when={tenant.loading} label="Loading the tenant…" />
        {isProblem(tenant.error, 404) ? (
          <Empty title="No such tenant.">
            <p>
              <Link to="/tenants">All tenants</Link>
            </p>
          </Empty>
        ) : (
          <ErrorBox
            error={tenant.error}
            onRetry={tenant.reload}
            context="Could not load the tenant"
          />
        )}
      </Page>
    );
  }
  return (
    <Page
      title={`Tenant ${data.id}`}
      lead={
        <p class="crumbs">
          <Link to="/tenants">Tenants</Link> / {data.name}{" "}
          {data.suspended ? <StatusBadge status="suspended" /> : <StatusBadge status="active" />}
        </p>
      }
    >
      <section class="card" aria-labelledby="tenant-facts">
        <h2 id="tenant-facts">Tenant</h2>
        <Facts
          items={[
            ["Id", <span class="mono">{data.id}</span>],
            ["Name", data.name],
            ["Tier", data.tier],
            ["State", data.suspended ? "suspended" : "active"],
            ["Max runs in flight", String(data.max_in_flight)],
            ["Created", <Time iso={data.created_at} />],
            ["Changed", <Time iso={data.updated_at} />],
          ]}
        />
      </section>
      <Settings tenant={data} onChange={tenant.setData} />
      <DefaultFlowLimits tenant={data} onChange={tenant.setData} />
      <Tokens tenant={data} />
      <SigningSecret tenant={data} />
    </Page>
  );
}
