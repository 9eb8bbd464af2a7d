/** Sign in with a tenant token, or as the operator with the admin token. */
import { useState } from "hono/jsx/dom";
import { clientFor, errorText, isProblem, tokenRefused } from "../api";
import { useAction } from "../hooks";
import { location, navigate } from "../router";
import { signIn, tenantIdOf } from "../session";
import { Button, described, Field, Page } from "../ui/components";

function refusal(error: unknown, kind: "tenant" | "admin"): string {
  if (isProblem(error, 401))
    return kind === "tenant"
      ? "The scheduler did not accept this token: it is unknown, revoked or mistyped."
      : "The scheduler did not accept this admin token.";
  if (isProblem(error, 403))
    return `The scheduler refused this token: ${(error as { detail: string }).detail} (a worker token cannot use the console; use a read or write token).`;
  return errorText(error);
}

/** One sign-in form: a password field for a token, its hint and error, and the button. */
function TokenForm(props: {
  id: "tenant" | "admin";
  title: string;
  label: string;
  hint: string;
  value: string;
  onValue: (value: string) => void;
  error: string | undefined;
  busy: boolean;
  primary?: boolean;
  submit: string;
  onSubmit: () => void;
}) {
  const field = `${props.id}-token`;
  const heading = props.id === "tenant" ? "tenant-sign-in" : "operator-sign-in";
  const errors = props.error ? [props.error] : undefined;
  return (
    <form
      class="card"
      method="post"
      aria-labelledby={heading}
      noValidate
      onSubmit={(event: Event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      <h2 id={heading}>{props.title}</h2>
      <Field id={field} label={props.label} hint={props.hint} errors={errors}>
        <input
          {...described(field, { hint: true, errors })}
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={props.value}
          onInput={(e: Event) => props.onValue((e.target as HTMLInputElement).value)}
        />
      </Field>
      <Button
        type="submit"
        {...(props.primary ? { kind: "primary" as const } : {})}
        busy={props.busy}
        busyText="Checking the token…"
      >
        {props.submit}
      </Button>
    </form>
  );
}

export function SignInPage() {
  const [tenantToken, setTenantToken] = useState("");
  const [adminToken, setAdminToken] = useState("");
  const [tenantError, setTenantError] = useState<string | undefined>(undefined);
  const [adminError, setAdminError] = useState<string | undefined>(undefined);
  // After signing in, the page that was asked for (a deep link), else the start page.
  const next = () => {
    const { path, query } = location.get();
    const search = query.toString();
    navigate(path === "/" ? "/" : `${path}${search ? `?${search}` : ""}`, { replace: true });
  };

  const tenant = useAction(async () => {
    const token = tenantToken.trim();
    const tenantId = tenantIdOf(token);
    if (!tenantId) {
      setTenantError(
        "A tenant token looks like sched.<tenant>.<token id>.<secret>. For the admin token, use the operator form.",
      );
      return;
    }
    try {
      await clientFor(token).jobs.list({ limit: 1 }).page();
    } catch (error) {
      setTenantError(refusal(error, "tenant"));
      return;
    }
    tokenRefused.set(null);
    signIn({ kind: "tenant", token, tenantId });
    next();
  });

  const admin = useAction(async () => {
    const token = adminToken.trim();
    if (!token) {
      setAdminError("Paste the admin token (ADMIN_TOKEN; locally in .dev.vars).");
      return;
    }
    try {
      await clientFor(token).tenants.list({ limit: 1 }).page();
    } catch (error) {
      setAdminError(refusal(error, "admin"));
      return;
    }
    tokenRefused.set(null);
    signIn({ kind: "operator", token });
    next();
  });

  return (
    <Page
      title="Sign in"
      lead={
        <p>
          The token stays in this browser tab only (session storage) and is sent to this scheduler
          alone. Closing the tab or signing out forgets it.
        </p>
      }
    >
      <div class="columns">
        <TokenForm
          id="tenant"
          title="Tenant"
          label="Tenant token"
          hint="A read or write token of your tenant, as issued by the operator (sched.…)."
          value={tenantToken}
          onValue={setTenantToken}
          error={tenantError}
          busy={tenant.busy}
          primary
          submit="Sign in"
          onSubmit={() => {
            setTenantError(undefined);
            void tenant.run();
          }}
        />
        <TokenForm
          id="admin"
          title="Operator"
          label="Admin token"
          hint="Manages tenants, their tiers and tokens. It cannot see a tenant's jobs."
          value={adminToken}
          onValue={setAdminToken}
          error={adminError}
          busy={admin.busy}
          submit="Sign in as operator"
          onSubmit={() => {
            setAdminError(undefined);
            void admin.run();
          }}
        />
      </div>
    </Page>
  );
}
