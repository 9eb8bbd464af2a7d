/**
 * The operator's view of a tenant's default flow limits: the limits every flow key without limits
 * of its own follows (`default_flow_limits`), set, changed or removed.
 */
import { useState } from "hono/jsx/dom";
import type { FlowLimitsInput } from "../../../client/index.ts";
import { api, type Tenant } from "../api";
import { limitsFormOf, limitsText } from "../flow-model";
import { useAction } from "../hooks";
import { Button, ErrorBox } from "../ui/components";
import { notify } from "../ui/feedback";
import { LimitsEditor } from "../ui/limits-editor";

export function DefaultFlowLimits(props: { tenant: Tenant; onChange: (t: Tenant) => void }) {
  const { tenant } = props;
  const [generation, setGeneration] = useState(0);
  const save = async (_name: string, limits: FlowLimitsInput) => {
    const next = await api().tenants.update(tenant.id, { default_flow_limits: limits });
    props.onChange(next);
    setGeneration((g) => g + 1);
    notify(`Default flow limits of ${tenant.id}: ${limitsText(next.default_flow_limits)}.`);
  };
  const remove = useAction(async () => {
    const next = await api().tenants.update(tenant.id, { default_flow_limits: null });
    props.onChange(next);
    setGeneration((g) => g + 1);
    notify(`${tenant.id} has no default flow limits now.`);
  });
  return (
    <section class="card" aria-labelledby="tenant-flow-defaults">
      <h2 id="tenant-flow-defaults">Default flow limits</h2>
      <p>
        Every flow key of this tenant without limits of its own follows these (runs without a key do
        not). Now:{" "}
        <strong id="tenant-flow-defaults-now">{limitsText(tenant.default_flow_limits)}</strong>.
      </p>
      <LimitsEditor
        prefix="tenant-limits"
        initial={limitsFormOf("", tenant.default_flow_limits)}
        generation={generation}
        submitLabel="Save the default flow limits"
        strip="default_flow_limits"
        onSave={save}
      />
      {tenant.default_flow_limits ? (
        <Button kind="danger" busy={remove.busy} onClick={() => void remove.run()}>
          Remove the default flow limits
        </Button>
      ) : null}
      <ErrorBox error={remove.error} context="Could not remove the default flow limits" />
    </section>
  );
}
