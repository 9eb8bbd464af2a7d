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
        <form
          class="card"
          method="post"
          aria-labelledby="tenant-sign-in"
          noValidate
          onSubmit={(event: Event) => {
            event.preventDefault();
            setTenantError(undefined);
            void tenant.run();
          }}
        >
          <h2 id="tenant-sign-in">Tenant</h2>
          <Field
            id="tenant-token"
            label="Tenant token"
            hint="A read or write token of your tenant, as issued by the operator (sched.…)."
            errors={tenantError ? [tenantError] : undefined}
          >
            <input
              {...described("tenant-token", {
                hint: true,
                errors: tenantError ? [tenantError] : undefined,
              })}
              type="password"
              autocomplete="off"
              spellcheck={false}
              value={tenantToken}
              onInput={(e: Event) => setTenantToken((e.target as HTMLInputElement).value)}
            />
          </Field>
          <Button type="submit" kind="primary" busy={tenant.busy} busyText="Checking the token…">
            Sign in
          </Button>
        </form>
        <form
          class="card"
          method="post"
          aria-labelledby="operator-sign-in"
          noValidate
          onSubmit={(event: Event) => {
            event.preventDefault();
            setAdminError(undefined);
            void admin.run();
          }}
        >
          <h2 id="operator-sign-in">Operator</h2>
          <Field
            id="admin-token"
            label="Admin token"
            hint="Manages tenants, their tiers and tokens. It cannot see a tenant's jobs."
            errors={adminError ? [adminError] : undefined}
          >
            <input
              {...described("admin-token", {
                hint: true,
                errors: adminError ? [adminError] : undefined,
              })}
              type="password"
              autocomplete="off"
              spellcheck={false}
              value={adminToken}
              onInput={(e: Event) => setAdminToken((e.target as HTMLInputElement).value)}
            />
          </Field>
          <Button type="submit" busy={admin.busy} busyText="Checking the token…">
            Sign in as operator
          </Button>
        </form>
      </div>
    </Page>
  );
}
