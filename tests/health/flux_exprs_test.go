package health

import (
	"strings"
	"testing"
)

// CEL fragments of the Flux healthCheckExprs. Each kind's entry replaces kstatus for that
// kind, so it restates kstatus (cli-utils v0.37.2 pkg/kstatus/status: generic.go
// checkGenericProperties, core.go deploymentConditions / stsConditions /
// daemonsetConditions; identical in the fluxcd/cli-utils v1.4.0 fork Flux builds with).
// Flux's evaluator (fluxcd/pkg/runtime v0.122.0 cel/status_evaluator.go) itself answers
// InProgress while status.observedGeneration != metadata.generation, then tries
// inProgress, failed, current in that order, InProgress when none holds; the three
// expressions of a kind partition every object, so order cannot matter.
const (
	celMirror = `metadata.?annotations[?'groundtruth.dev/runtime-compliant'].orValue('')`
	celGen    = `string(metadata.?generation.orValue(0))`

	// celVerdict: "<status>/<reason>/..." of the verdict the object carries for its
	// generation, "Unknown/Observing/" for a verdict of another generation, "" for none.
	// The annotation dates the condition; alone, it counts in the forms the Argo CD
	// scripts recognise.
	celVerdict = `(status.?conditions.orValue([]).exists(c, c.type == 'RuntimeCompliant')
  ? status.conditions.filter(c, c.type == 'RuntimeCompliant')
      .map(c, c.status + '/' + c.?reason.orValue('') + '/')
      .map(v, MIRROR == '' || MIRROR == v + GEN ? v : 'Unknown/Observing/')[0]
  : (MIRROR == '' ? ''
    : (KNOWN.exists(p, MIRROR == p + '/' + GEN) ? MIRROR : 'Unknown/Observing/')))`

	celKnown = `['True/Compliant', 'Unknown/Observing', 'Unknown/NoData',
  'False/OOMKilled', 'False/MemoryThrashing', 'False/MemorySaturated',
  'False/CPUThrottled', 'False/IOContention', 'False/ProcessesBlocked',
  'False/PidsExhausted', 'False/NodeOvercommitted', 'False/NetworkDegraded']`

	// kstatus generic.go: scheduled for deletion -> Terminating (waited on as in progress).
	celTerminating = `(metadata.?deletionTimestamp.orValue('') != '')`
	// kstatus generic.go: the first Reconciling=True or Stalled=True condition decides.
	celGeneric = `(status.?conditions.orValue([]).filter(c, (c.type == 'Reconciling' || c.type == 'Stalled') && c.status == 'True').map(c, c.type) + [''])[0]`

	// core.go deploymentConditions: a Progressing condition with ProgressDeadlineExceeded fails.
	celDeadlineExceeded = `status.?conditions.orValue([]).exists(c, c.type == 'Progressing' && c.?reason.orValue('') == 'ProgressDeadlineExceeded')`

	celDeploymentRolledOut = `spec.?replicas.orValue(1) <= status.?replicas.orValue(0)
  && spec.?replicas.orValue(1) <= status.?updatedReplicas.orValue(0)
  && status.?replicas.orValue(0) <= spec.?replicas.orValue(1)
  && status.?updatedReplicas.orValue(0) <= status.?availableReplicas.orValue(0)
  && spec.?replicas.orValue(1) <= status.?readyReplicas.orValue(0)
  && (spec.?progressDeadlineSeconds.orValue(2147483647) == 2147483647
    || status.?conditions.orValue([]).exists(c, c.type == 'Progressing' && c.status == 'True' && c.?reason.orValue('') == 'NewReplicaSetAvailable'))
  && status.?conditions.orValue([]).exists(c, c.type == 'Available' && c.status == 'True')`

	celStatefulSetRolledOut = `spec.?updateStrategy.?type.orValue('') == 'OnDelete'
  || (spec.?replicas.orValue(1) <= status.?replicas.orValue(0)
    && spec.?replicas.orValue(1) <= status.?readyReplicas.orValue(0)
    && status.?replicas.orValue(0) <= spec.?replicas.orValue(1)
    && (spec.?updateStrategy.?rollingUpdate.?partition.orValue(-1) != -1
      ? status.?updatedReplicas.orValue(0) >= spec.?replicas.orValue(1) - spec.?updateStrategy.?rollingUpdate.?partition.orValue(-1)
      : spec.?replicas.orValue(1) <= status.?currentReplicas.orValue(0)
        && status.?currentRevision.orValue('') == status.?updateRevision.orValue('')))`

	celDaemonSetRolledOut = `metadata.?generation.hasValue() && status.?observedGeneration.hasValue()
  && status.?desiredNumberScheduled.hasValue()
  && status.desiredNumberScheduled <= status.?currentNumberScheduled.orValue(0)
  && status.desiredNumberScheduled <= status.?updatedNumberScheduled.orValue(0)
  && status.desiredNumberScheduled <= status.?numberAvailable.orValue(0)
  && status.desiredNumberScheduled <= status.?numberReady.orValue(0)`
)

type fluxKind struct {
	kind, rolledOut string
	deadline        bool // the kind has a progress deadline (Deployment)
}

var fluxKinds = []fluxKind{
	{"Deployment", celDeploymentRolledOut, true},
	{"StatefulSet", celStatefulSetRolledOut, false},
	{"DaemonSet", celDaemonSetRolledOut, false},
}

func expand(expr string) string {
	verdict := strings.NewReplacer("MIRROR", celMirror, "GEN", celGen, "KNOWN", celKnown).Replace(celVerdict)
	verdict = strings.Join(strings.Fields(verdict), " ")
	return strings.NewReplacer("VERDICT", verdict, "TERMINATING", celTerminating, "GENERIC", celGeneric,
		"DEADLINE", celDeadlineExceeded).Replace(expr)
}

// fluxExprs returns a kind's inProgress, failed and current expressions.
// RuntimeCompliant False fails; Unknown/Observing (or a verdict of another generation)
// keeps it in progress; True, Unknown/NoData or no verdict leave kstatus's answer.
func fluxExprs(k fluxKind) (inProgress, failed, current string) {
	notDeadline, deadlineFails := "", ""
	if k.deadline {
		notDeadline = "\n      && !DEADLINE"
		deadlineFails = "\n    || (GENERIC == '' && DEADLINE)"
	}
	inProgress = `TERMINATING
  || (!VERDICT.startsWith('False/')
    && (GENERIC == 'Reconciling'
      || (GENERIC == ''` + notDeadline + `
        && (VERDICT.startsWith('Unknown/Observing/')
          || !(` + indent(k.rolledOut, "            ") + `)))))`
	failed = `!TERMINATING
  && (VERDICT.startsWith('False/')
    || GENERIC == 'Stalled'` + deadlineFails + `)`
	current = `!TERMINATING
  && GENERIC == ''` + strings.ReplaceAll(notDeadline, "\n      ", "\n  ") + `
  && !VERDICT.matches('^(False|Unknown/Observing)/')
  && (` + indent(k.rolledOut, "    ") + `)`
	return expand(inProgress), expand(failed), expand(current)
}

func indent(text, prefix string) string {
	return strings.ReplaceAll(text, "\n", "\n"+prefix)
}

const (
	fluxPatchPath = repoRoot + "/manifests/flux/healthcheckexprs-patch.yaml"
)

func renderFluxPatch(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`# Flux health checks for apps/v1 Deployment, StatefulSet and DaemonSet: kstatus's
# rollout logic, restated in CEL (an entry replaces kstatus for its kind), with
# groundtruth's RuntimeCompliant verdict: False fails the Kustomization's health check,
# Unknown/Observing keeps it waiting. A strategic-merge patch for Flux Kustomizations
# (manifests/flux/kustomization.yaml applies it as a kustomize Component); copy
# spec.healthCheckExprs into a Kustomization by hand just as well. Install:
# docs/integrations.md.
#
# Generated by tests/health (flux_exprs_test.go; GT_UPDATE=1 tests/health/run.sh), which
# evaluates this very file with Flux's own CEL evaluator.
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: any
spec:
  wait: true
  healthCheckExprs:
`)
	for _, k := range fluxKinds {
		inProgress, failed, current := fluxExprs(k)
		b.WriteString("    - apiVersion: apps/v1\n      kind: " + k.kind + "\n")
		b.WriteString("      inProgress: |\n" + literalBlock(inProgress, "        "))
		b.WriteString("      failed: |\n" + literalBlock(failed, "        "))
		b.WriteString("      current: |\n" + literalBlock(current, "        "))
	}
	return b.String()
}

func TestFluxPatchIsGenerated(t *testing.T) {
	checkGenerated(t, fluxPatchPath, renderFluxPatch(t))
}
