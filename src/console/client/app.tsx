/** The frame (header, navigation, banners) and which page each console path shows. */
import type { Child } from "hono/jsx";
import { useEffect } from "hono/jsx/dom";
import { ChartsPage } from "./pages/charts";
import { DeadLettersPage } from "./pages/dead-letters";
import { FlowPage } from "./pages/flow";
import { JobPage } from "./pages/job";
import { JobFormPage } from "./pages/job-form";
import { JobsPage } from "./pages/jobs";
import { RunPage } from "./pages/run";
import { RunsPage } from "./pages/runs";
import { SignInPage } from "./pages/sign-in";
import { TenantPage } from "./pages/tenant";
import { TenantsPage } from "./pages/tenants";
import { WorkersPage } from "./pages/workers";
import { Link, location, match, navigate } from "./router";
import { type Session, session, signOut } from "./session";
import { useStore } from "./store";
import { Empty, Page } from "./ui/components";
import { ConfirmDialog, Notices, RateLimitBanner, TokenRefusedBanner } from "./ui/feedback";

const TENANT_NAV = [
  ["/jobs", "Jobs"],
  ["/runs", "Runs"],
  ["/dead-letters", "Dead letters"],
  ["/charts", "Charts"],
  ["/workers", "Workers"],
  ["/flow", "Flow control"],
] as const;
const OPERATOR_NAV = [["/tenants", "Tenants"]] as const;

/** Console paths of a tenant session: a pattern and its page. */
const TENANT_ROUTES: [string, (p: Record<string, string>) => Child][] = [
  ["/jobs", () => <JobsPage />],
  ["/jobs/new", () => <JobFormPage />],
  ["/jobs/:id/edit", (p) => <JobFormPage id={p.id} />],
  ["/jobs/:id", (p) => <JobPage id={p.id as string} />],
  ["/runs", () => <RunsPage />],
  ["/runs/:id", (p) => <RunPage id={p.id as string} />],
  ["/dead-letters", () => <DeadLettersPage />],
  ["/charts", () => <ChartsPage />],
  ["/workers", () => <WorkersPage />],
  ["/flow", () => <FlowPage />],
];

const OPERATOR_ROUTES: [string, (p: Record<string, string>) => Child][] = [
  ["/tenants", () => <TenantsPage />],
  ["/tenants/:id", (p) => <TenantPage id={p.id as string} />],
];

function pageFor(
  routes: [string, (p: Record<string, string>) => Child][],
  path: string,
): Child | null {
  for (const [pattern, page] of routes) {
    const params = match(pattern, path);
    if (params) return page(params);
  }
  return null;
}

function NotFound(props: { current: Session }) {
  return (
    <Page title="Nothing here">
      <Empty title="This console page does not exist.">
        <p>
          {props.current.kind === "operator"
            ? "Signed in as the operator, the console shows tenants. Pages about one tenant's jobs need that tenant's token."
            : "Check the address, or go back to the jobs."}
        </p>
        <p>
          <Link to={props.current.kind === "operator" ? "/tenants" : "/jobs"}>
            {props.current.kind === "operator" ? "Tenants" : "Jobs"}
          </Link>
        </p>
      </Empty>
    </Page>
  );
}

function Header(props: { current: Session | null; path: string }) {
  const nav = props.current?.kind === "operator" ? OPERATOR_NAV : props.current ? TENANT_NAV : [];
  return (
    <header class="top">
      <div class="top-row">
        <Link to="/" class="brand">
          Scheduler console
        </Link>
        {props.current ? (
          <div class="who">
            <span class="who-label">
              {props.current.kind === "operator" ? (
                <>Operator</>
              ) : (
                <>
                  Tenant <strong>{props.current.tenantId}</strong>
                </>
              )}
            </span>
            <button
              type="button"
              class="button small"
              onClick={() => {
                signOut();
                navigate("/", { replace: true });
              }}
            >
              Sign out
            </button>
          </div>
        ) : null}
      </div>
      {nav.length ? (
        <nav aria-label="Console">
          <ul class="nav">
            {nav.map(([to, label]) => {
              const here = props.path === to || props.path.startsWith(`${to}/`);
              return (
                <li>
                  <Link to={to} aria-current={here ? "page" : undefined}>
                    {label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
      ) : null}
    </header>
  );
}

export function App() {
  const current = useStore(session);
  const { path } = useStore(location);
  const home = current?.kind === "operator" ? "/tenants" : "/jobs";
  useEffect(() => {
    if (current && path === "/") navigate(home, { replace: true });
  }, [current, path, home]);
  let page: Child | null = null;
  if (!current) page = <SignInPage />;
  else if (path !== "/") {
    page = pageFor(current.kind === "operator" ? OPERATOR_ROUTES : TENANT_ROUTES, path) ?? (
      <NotFound current={current} />
    );
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header current={current} path={path} />
      <RateLimitBanner />
      <TokenRefusedBanner />
      <main id="main" tabindex={-1}>
        {page}
      </main>
      <Notices />
      <ConfirmDialog />
    </>
  );
}
