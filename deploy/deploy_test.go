// Package deploy_test checks redline's deployment kit: every Kubernetes
// manifest decodes strictly into the real API types, the workloads keep the
// promises their comments make (non-root, read-only root, probes on healthz,
// memory_limiter matching the memory limit, a grace period covering the
// drain), and every collector config they carry loads and validates with
// redline's own factories, under the environment the pod gives it.
package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/redline-otel/redline/internal/distribution"
)

const (
	manifestDir    = "kubernetes"
	helmValues     = "helm/values.yaml"
	configKey      = "config.yaml"
	healthzPath    = "/healthz"
	readyzPath     = "/readyz"
	podIPFieldPath = "status.podIP"
	// podIPStandIn replaces a fieldRef to status.podIP when a config is
	// validated: any address the listeners could bind.
	podIPStandIn = "10.0.0.1"
	mib          = 1 << 20
	// memoryLimiterShare is the largest share of the container's memory
	// limit that memory_limiter's limit_mib may claim: the rest is for the
	// Go runtime's overshoot and whatever memory_limiter does not see.
	memoryLimiterShare = 0.8
	// shutdownMargin is what the grace period must leave beyond the drain
	// and the exporters' timeouts: closing the storage, the process exit.
	shutdownMargin = 10 * time.Second
)

// manifest is one YAML document of deploy/kubernetes, decoded.
type manifest struct {
	file string
	kind string
	name string
	raw  []byte
	obj  any
}

// newObject maps a manifest's apiVersion and kind to its API type. A kind
// missing here fails the test: every manifest must be checked.
func newObject(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "v1/Namespace":
		return &corev1.Namespace{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/Secret":
		return &corev1.Secret{}, true
	case "apps/v1/DaemonSet":
		return &appsv1.DaemonSet{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	}
	return nil, false
}

var documentSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// splitDocuments returns the non-empty YAML documents of a multi-document file.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range documentSeparator.Split(string(data), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// decodeStrict decodes one document into its API type as the API server's
// strict field validation does: unknown fields, duplicate fields and fields
// in the wrong case (encoding/json would accept readOnlyRootFileSystem for
// readOnlyRootFilesystem) are errors.
func decodeStrict(doc []byte) (any, metav1.TypeMeta, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, tm, fmt.Errorf("read apiVersion and kind: %w", err)
	}
	obj, ok := newObject(tm.APIVersion, tm.Kind)
	if !ok {
		return nil, tm, fmt.Errorf("no API type known for %s %s: add it to newObject", tm.APIVersion, tm.Kind)
	}
	return obj, tm, strictInto(doc, obj)
}

// strictInto decodes YAML into an API type strictly (see decodeStrict).
func strictInto(doc []byte, obj any) error {
	js, err := yaml.YAMLToJSONStrict(doc) // refuses duplicate keys
	if err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(js, obj)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

func loadManifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no manifests in %s", manifestDir)
	var out []manifest
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, doc := range splitDocuments(data) {
			obj, tm, err := decodeStrict(doc)
			require.NoError(t, err, "%s document %d", f, i+1)
			meta := objectMeta(obj)
			require.NotEmpty(t, meta.Name, "%s document %d has no name", f, i+1)
			out = append(out, manifest{file: f, kind: tm.Kind, name: meta.Name, raw: doc, obj: obj})
		}
	}
	return out
}

func objectMeta(obj any) metav1.ObjectMeta {
	switch o := obj.(type) {
	case *corev1.Namespace:
		return o.ObjectMeta
	case *corev1.ServiceAccount:
		return o.ObjectMeta
	case *corev1.ConfigMap:
		return o.ObjectMeta
	case *corev1.Service:
		return o.ObjectMeta
	case *corev1.Secret:
		return o.ObjectMeta
	case *appsv1.DaemonSet:
		return o.ObjectMeta
	case *appsv1.Deployment:
		return o.ObjectMeta
	case *policyv1.PodDisruptionBudget:
		return o.ObjectMeta
	}
	return metav1.ObjectMeta{}
}

func TestManifestsDecodeStrictly(t *testing.T) {
	ms := loadManifests(t)
	kinds := map[string]int{}
	for _, m := range ms {
		kinds[m.kind]++
		if m.kind != "Namespace" {
			assert.Equal(t, "redline", objectMeta(m.obj).Namespace, "%s %s: namespace", m.kind, m.name)
		}
	}
	// The kit the issue asks for.
	for _, k := range []string{"DaemonSet", "Deployment", "Service", "ConfigMap", "ServiceAccount"} {
		assert.Positive(t, kinds[k], "no %s among the manifests", k)
	}
	// RBAC only if needed, and redline reads no Kubernetes API.
	assert.Zero(t, kinds["ClusterRole"]+kinds["Role"]+kinds["ClusterRoleBinding"]+kinds["RoleBinding"])
}

// TestStrictDecodingRefusesMisspeltFields proves the decoding above would
// catch a typo: the same DaemonSet with one key misspelt must fail.
func TestStrictDecodingRefusesMisspeltFields(t *testing.T) {
	for _, m := range loadManifests(t) {
		if m.kind != "DaemonSet" && m.kind != "Deployment" {
			continue
		}
		for _, c := range []struct{ from, to string }{
			{"readinessProbe:", "readinesProbe:"},
			{"readOnlyRootFilesystem:", "readOnlyRootFileSystem:"},
			{"terminationGracePeriodSeconds:", "terminationGracePeriod:"},
		} {
			bad := bytes.Replace(m.raw, []byte(c.from), []byte(c.to), 1)
			require.NotEqual(t, m.raw, bad, "%s %s has no %s", m.kind, m.name, c.from)
			_, _, err := decodeStrict(bad)
			require.Error(t, err, "%s %s with %s", m.kind, m.name, c.to)
			assert.Contains(t, err.Error(), strings.TrimSuffix(c.to, ":"))
		}
	}
}

// workload is the part of a DaemonSet or Deployment the checks look at.
type workload struct {
	kind, name string
	selector   *metav1.LabelSelector
	template   corev1.PodTemplateSpec
}

func workloads(ms []manifest) []workload {
	var out []workload
	for _, m := range ms {
		switch o := m.obj.(type) {
		case *appsv1.DaemonSet:
			out = append(out, workload{m.kind, m.name, o.Spec.Selector, o.Spec.Template})
		case *appsv1.Deployment:
			out = append(out, workload{m.kind, m.name, o.Spec.Selector, o.Spec.Template})
		}
	}
	return out
}

func configMaps(ms []manifest) map[string]*corev1.ConfigMap {
	out := map[string]*corev1.ConfigMap{}
	for _, m := range ms {
		if cm, ok := m.obj.(*corev1.ConfigMap); ok {
			out[cm.Name] = cm
		}
	}
	return out
}

// podConfig finds the collector config a pod runs: the --config argument
// resolved through the pod's volume mounts to a ConfigMap key.
func podConfig(t *testing.T, w workload, cms map[string]*corev1.ConfigMap) (corev1.Container, string) {
	t.Helper()
	spec := w.template.Spec
	require.Len(t, spec.Containers, 1, "%s %s: one redline container", w.kind, w.name)
	c := spec.Containers[0]
	var cfgPath string
	for _, a := range append(append([]string{}, c.Command...), c.Args...) {
		if p, ok := strings.CutPrefix(a, "--config="); ok {
			cfgPath = p
		}
	}
	require.NotEmpty(t, cfgPath, "%s %s: no --config= argument", w.kind, w.name)
	for _, vm := range c.VolumeMounts {
		rel, err := filepath.Rel(vm.MountPath, cfgPath)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		vol := findVolume(spec, vm.Name)
		require.NotNil(t, vol, "%s %s: mount %s has no volume", w.kind, w.name, vm.Name)
		require.NotNil(t, vol.ConfigMap, "%s %s: %s is not a ConfigMap volume", w.kind, w.name, cfgPath)
		cm, ok := cms[vol.ConfigMap.Name]
		require.True(t, ok, "%s %s: ConfigMap %s is not among the manifests", w.kind, w.name, vol.ConfigMap.Name)
		data, ok := cm.Data[rel]
		require.True(t, ok, "%s %s: ConfigMap %s has no key %s", w.kind, w.name, cm.Name, rel)
		return c, data
	}
	t.Fatalf("%s %s: %s is on no volume mount", w.kind, w.name, cfgPath)
	return c, ""
}

func findVolume(spec corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// setPodEnv sets, for the test, the environment variables a container
// gives redline, with a stand-in for the pod IP and an empty value for
// optional secrets. It fails when the config reads a variable with no
// default that the pod does not set.
func setPodEnv(t *testing.T, where string, env []corev1.EnvVar, config string) {
	t.Helper()
	set := map[string]bool{}
	for _, e := range env {
		switch {
		case e.ValueFrom == nil:
			t.Setenv(e.Name, e.Value)
		case e.ValueFrom.FieldRef != nil:
			require.Equal(t, podIPFieldPath, e.ValueFrom.FieldRef.FieldPath, "%s: %s", where, e.Name)
			t.Setenv(e.Name, podIPStandIn)
		case e.ValueFrom.SecretKeyRef != nil:
			require.True(t, e.ValueFrom.SecretKeyRef.Optional != nil && *e.ValueFrom.SecretKeyRef.Optional,
				"%s: %s comes from a secret the kit does not ship: mark it optional", where, e.Name)
			t.Setenv(e.Name, "")
		default:
			t.Fatalf("%s: %s: unsupported valueFrom", where, e.Name)
		}
		set[e.Name] = true
	}
	for _, m := range envRef.FindAllStringSubmatch(config, -1) {
		if m[2] == "" {
			assert.True(t, set[m[1]], "%s: the config reads ${env:%s} without a default, and the pod does not set it", where, m[1])
		}
	}
}

// expandEnv resolves ${env:NAME} and ${env:NAME:-default} as the collector
// does, for the cross-checks that read the raw config.
func expandEnv(s string) string {
	return envRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := envRef.FindStringSubmatch(ref)
		if v, ok := os.LookupEnv(m[1]); ok && v != "" {
			return v
		}
		return m[3]
	})
}

// validateCollectorConfig loads a config with redline's factories, the way
// `redline validate` does.
func validateCollectorConfig(t *testing.T, where, config string) {
	t.Helper()
	factories, err := distribution.Components()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	_, err = otelcoltest.LoadConfigAndValidate(path, factories)
	require.NoError(t, err, "%s: the config does not load in redline", where)
}

// rawConfig is a collector config as a generic tree, after env expansion.
type rawConfig map[string]any

func parseRawConfig(t *testing.T, config string) rawConfig {
	t.Helper()
	var c rawConfig
	require.NoError(t, yaml.Unmarshal([]byte(expandEnv(config)), &c))
	return c
}

// get walks a path of map keys; ok is false when a key is missing.
func (c rawConfig) get(path ...string) (any, bool) {
	var cur any = map[string]any(c)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func (c rawConfig) str(t *testing.T, path ...string) string {
	t.Helper()
	v, ok := c.get(path...)
	require.True(t, ok, "config has no %s", strings.Join(path, "::"))
	return fmt.Sprint(v)
}

func (c rawConfig) duration(t *testing.T, path ...string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(c.str(t, path...))
	require.NoError(t, err, strings.Join(path, "::"))
	return d
}

func (c rawConfig) number(t *testing.T, path ...string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(c.str(t, path...), 64)
	require.NoError(t, err, strings.Join(path, "::"))
	return f
}

func (c rawConfig) components(kind string) map[string]any {
	m, _ := c[kind].(map[string]any)
	return m
}

func (c rawConfig) strings(path ...string) []string {
	v, _ := c.get(path...)
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// componentType is the type part of a component ID ("otlp/backend" → "otlp").
func componentType(id string) string {
	typ, _, _ := strings.Cut(id, "/")
	return typ
}

func (c rawConfig) idsOfType(kind, typ string) []string {
	var ids []string
	for id := range c.components(kind) {
		if componentType(id) == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// TestWorkloads checks each DaemonSet and Deployment against the config it
// runs.
func TestWorkloads(t *testing.T) {
	ms := loadManifests(t)
	cms := configMaps(ms)
	ws := workloads(ms)
	require.NotEmpty(t, ws)
	for _, w := range ws {
		t.Run(w.kind+"/"+w.name, func(t *testing.T) {
			c, config := podConfig(t, w, cms)
			setPodEnv(t, w.kind+" "+w.name, c.Env, config)
			cfg := parseRawConfig(t, config)
			checkPodBasics(t, w)
			checkSecurity(t, w)
			checkProbes(t, c, cfg)
			checkMemory(t, c, cfg)
			checkGracePeriod(t, w, cfg)
			checkWritablePaths(t, w, c, cfg)
			checkRetriesNeverGiveUp(t, cfg)
			validateCollectorConfig(t, w.kind+" "+w.name, config)
		})
	}
}

func checkPodBasics(t *testing.T, w workload) {
	require.NotNil(t, w.selector)
	for k, v := range w.selector.MatchLabels {
		assert.Equal(t, v, w.template.Labels[k], "selector label %s does not match the pod template", k)
	}
	spec := w.template.Spec
	assert.NotEmpty(t, spec.ServiceAccountName, "a dedicated service account")
	require.NotNil(t, spec.AutomountServiceAccountToken)
	assert.False(t, *spec.AutomountServiceAccountToken, "redline reads no Kubernetes API: mount no token")
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		for _, vm := range c.VolumeMounts {
			assert.NotNil(t, findVolume(spec, vm.Name), "container %s mounts %s, which is no volume", c.Name, vm.Name)
		}
	}
}

func checkSecurity(t *testing.T, w workload) {
	spec := w.template.Spec
	require.NotNil(t, spec.SecurityContext, "pod securityContext")
	psc := spec.SecurityContext
	require.NotNil(t, psc.RunAsNonRoot)
	assert.True(t, *psc.RunAsNonRoot, "runAsNonRoot")
	require.NotNil(t, psc.RunAsUser)
	assert.NotZero(t, *psc.RunAsUser, "runAsUser")
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		require.NotNil(t, sc, "container %s securityContext", c.Name)
		if sc.RunAsNonRoot != nil {
			assert.True(t, *sc.RunAsNonRoot, "container %s overrides runAsNonRoot", c.Name)
		}
		if sc.RunAsUser != nil {
			assert.NotZero(t, *sc.RunAsUser, "container %s runs as root", c.Name)
		}
		require.NotNil(t, sc.ReadOnlyRootFilesystem)
		assert.True(t, *sc.ReadOnlyRootFilesystem, "container %s readOnlyRootFilesystem", c.Name)
		require.NotNil(t, sc.AllowPrivilegeEscalation)
		assert.False(t, *sc.AllowPrivilegeEscalation, "container %s allowPrivilegeEscalation", c.Name)
		require.NotNil(t, sc.Capabilities)
		assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop, "container %s drops every capability", c.Name)
		assert.Empty(t, sc.Capabilities.Add, "container %s adds capabilities", c.Name)
		assert.True(t, sc.Privileged == nil || !*sc.Privileged, "container %s privileged", c.Name)
	}
	// An init container may run as root to hand a hostPath folder to the
	// nonroot user, with CHOWN as its only capability.
	for _, c := range spec.InitContainers {
		sc := c.SecurityContext
		require.NotNil(t, sc, "init container %s securityContext", c.Name)
		require.NotNil(t, sc.ReadOnlyRootFilesystem)
		assert.True(t, *sc.ReadOnlyRootFilesystem, "init container %s readOnlyRootFilesystem", c.Name)
		require.NotNil(t, sc.Capabilities)
		assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
		for _, capability := range sc.Capabilities.Add {
			assert.Equal(t, corev1.Capability("CHOWN"), capability, "init container %s adds %s", c.Name, capability)
		}
		assert.NotEmpty(t, c.Resources.Limits, "init container %s limits", c.Name)
	}
}

// containerPort resolves a probe's port (number or name) on the container.
func containerPort(t *testing.T, c corev1.Container, p intstr.IntOrString) int32 {
	t.Helper()
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %s", c.Name, p.StrVal)
	return 0
}

func envValueFrom(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func checkProbes(t *testing.T, c corev1.Container, cfg rawConfig) {
	ids := cfg.idsOfType("extensions", "healthz")
	require.Len(t, ids, 1, "one healthz extension")
	assert.Contains(t, cfg.strings("service", "extensions"), ids[0], "healthz is enabled in service::extensions")

	// healthz listens on the pod IP (the probes come from the kubelet to
	// the pod IP), on the port the probes use.
	raw, ok := cfg.get("extensions", ids[0], "endpoint")
	require.True(t, ok, "healthz endpoint")
	host, port, ok := strings.Cut(fmt.Sprint(raw), ":")
	require.True(t, ok)
	assert.Equal(t, podIPStandIn, host, "healthz binds the pod IP (REDLINE_HEALTH_HOST from status.podIP)")
	hostEnv := envValueFrom(c, "REDLINE_HEALTH_HOST")
	require.NotNil(t, hostEnv, "REDLINE_HEALTH_HOST")
	require.NotNil(t, hostEnv.ValueFrom)
	require.NotNil(t, hostEnv.ValueFrom.FieldRef)
	assert.Equal(t, podIPFieldPath, hostEnv.ValueFrom.FieldRef.FieldPath)

	for _, p := range []struct {
		probe *corev1.Probe
		path  string
	}{{c.LivenessProbe, healthzPath}, {c.ReadinessProbe, readyzPath}} {
		require.NotNil(t, p.probe, "probe for %s", p.path)
		require.NotNil(t, p.probe.HTTPGet, "probe for %s", p.path)
		assert.Equal(t, p.path, p.probe.HTTPGet.Path)
		assert.Equal(t, port, strconv.Itoa(int(containerPort(t, c, p.probe.HTTPGet.Port))), "probe %s port", p.path)
	}
	// Readiness must fail within drain_delay, so the endpoint leaves the
	// Services while the receivers are still open.
	drain := cfg.duration(t, "extensions", ids[0], "drain_delay")
	rp := c.ReadinessProbe
	notReadyAfter := time.Duration(rp.PeriodSeconds*rp.FailureThreshold) * time.Second
	assert.Less(t, notReadyAfter, drain, "readiness period x failureThreshold must fit in drain_delay")
}

func checkMemory(t *testing.T, c corev1.Container, cfg rawConfig) {
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		_, ok := c.Resources.Requests[r]
		assert.True(t, ok, "requests.%s", r)
		_, ok = c.Resources.Limits[r]
		assert.True(t, ok, "limits.%s", r)
	}
	limit := c.Resources.Limits[corev1.ResourceMemory]
	limitBytes := float64(limit.Value())
	require.Positive(t, limitBytes)

	ids := cfg.idsOfType("processors", "memory_limiter")
	require.Len(t, ids, 1, "one memory_limiter")
	limitMiB := cfg.number(t, "processors", ids[0], "limit_mib")
	spikeMiB := cfg.number(t, "processors", ids[0], "spike_limit_mib")
	assert.LessOrEqual(t, limitMiB*mib, memoryLimiterShare*limitBytes,
		"memory_limiter limit_mib %v MiB must stay within %v of the %s limit", limitMiB, memoryLimiterShare, limit.String())
	assert.GreaterOrEqual(t, limitMiB*mib, 0.6*limitBytes, "memory_limiter limit_mib wastes the memory limit")
	assert.Less(t, spikeMiB, limitMiB)
	request := c.Resources.Requests[corev1.ResourceMemory]
	assert.LessOrEqual(t, float64(request.Value()), (limitMiB-spikeMiB)*mib,
		"the memory request should not exceed the level where memory_limiter starts refusing")

	// memory_limiter must be the first processor of every pipeline.
	pipelines, _ := cfg.get("service", "pipelines")
	for name := range pipelines.(map[string]any) {
		procs := cfg.strings("service", "pipelines", name, "processors")
		require.NotEmpty(t, procs, "pipeline %s has no processors", name)
		assert.Equal(t, ids[0], procs[0], "pipeline %s: memory_limiter first", name)
	}

	if e := envValueFrom(c, "GOMEMLIMIT"); e != nil {
		v := strings.TrimSuffix(e.Value, "B") // Go's GOMEMLIMIT spells MiB, resource.Quantity Mi
		q, err := resource.ParseQuantity(v)
		require.NoError(t, err, "GOMEMLIMIT %q", e.Value)
		assert.LessOrEqual(t, q.Value(), limit.Value(), "GOMEMLIMIT above the memory limit")
		assert.GreaterOrEqual(t, float64(q.Value()), limitMiB*mib, "GOMEMLIMIT below memory_limiter's limit makes the GC fight it")
	}
}

func checkGracePeriod(t *testing.T, w workload, cfg rawConfig) {
	ids := cfg.idsOfType("extensions", "healthz")
	require.Len(t, ids, 1)
	drain := cfg.duration(t, "extensions", ids[0], "drain_delay")
	assert.Positive(t, drain, "the Kubernetes configs set a drain_delay")
	// Every exporter states its timeout, so that this sum is complete and
	// does not depend on defaults that may change.
	var exportTimeout time.Duration
	for id := range cfg.components("exporters") {
		exportTimeout = max(exportTimeout, cfg.duration(t, "exporters", id, "timeout"))
	}
	grace := w.template.Spec.TerminationGracePeriodSeconds
	require.NotNil(t, grace, "terminationGracePeriodSeconds")
	need := drain + exportTimeout + shutdownMargin
	assert.GreaterOrEqual(t, time.Duration(*grace)*time.Second, need,
		"terminationGracePeriodSeconds must cover drain_delay %s + exporter timeout %s + %s", drain, exportTimeout, shutdownMargin)
}

// mountFor finds the volume mount holding path in the container.
func mountFor(c corev1.Container, path string) *corev1.VolumeMount {
	var best *corev1.VolumeMount
	for i := range c.VolumeMounts {
		vm := &c.VolumeMounts[i]
		if path == vm.MountPath || strings.HasPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/") {
			if best == nil || len(vm.MountPath) > len(best.MountPath) {
				best = vm
			}
		}
	}
	return best
}

// checkRetriesNeverGiveUp: an exporter whose retries run out hands the batch
// back to its persistent queue as failed, and the queue deletes it; so every
// exporter that sends somewhere retries without end.
func checkRetriesNeverGiveUp(t *testing.T, cfg rawConfig) {
	for id := range cfg.components("exporters") {
		if _, remote := cfg.get("exporters", id, "endpoint"); !remote {
			continue
		}
		max, ok := cfg.get("exporters", id, "retry_on_failure", "max_elapsed_time")
		assert.True(t, ok && max == "0s", "exporter %s: retry_on_failure::max_elapsed_time must be 0s, is %v", id, max)
	}
}

// checkWritablePaths: with a read-only root filesystem, everything redline
// writes must be on a writable volume; what it only reads may be read-only.
func checkWritablePaths(t *testing.T, w workload, c corev1.Container, cfg rawConfig) {
	spec := w.template.Spec
	writable := func(what, path string) *corev1.Volume {
		vm := mountFor(c, path)
		require.NotNil(t, vm, "%s %s is on the read-only root filesystem", what, path)
		assert.False(t, vm.ReadOnly, "%s %s is on a read-only mount", what, path)
		return findVolume(spec, vm.Name)
	}
	for _, id := range cfg.idsOfType("extensions", "file_storage") {
		vol := writable("file_storage directory", cfg.str(t, "extensions", id, "directory"))
		if w.kind == "DaemonSet" {
			// Checkpoints must outlive the pod so that a restarted agent
			// resumes: on the node, not in an emptyDir.
			require.NotNil(t, vol.HostPath, "the agent keeps file_storage on a hostPath")
		}
	}
	for _, id := range cfg.idsOfType("exporters", "payloadcapture") {
		writable("payloadcapture directory", cfg.str(t, "exporters", id, "directory"))
	}
	for _, id := range cfg.idsOfType("receivers", "accesslog") {
		storage := cfg.str(t, "receivers", id, "storage")
		require.Equal(t, "storage_guard", componentType(storage), "accesslog keeps checkpoints through storage_guard")
		assert.Equal(t, "file_storage", componentType(cfg.str(t, "extensions", storage, "storage")),
			"the guard stands in front of file_storage")
		for _, glob := range cfg.strings("receivers", id, "include") {
			vm := mountFor(c, glob)
			require.NotNil(t, vm, "accesslog include %s is on no mount", glob)
			assert.True(t, vm.ReadOnly, "the node's logs are mounted read-only")
			vol := findVolume(spec, vm.Name)
			require.NotNil(t, vol.HostPath, "accesslog reads the node's files through a hostPath")
			assert.True(t, strings.HasPrefix(vol.HostPath.Path, "/var/log/"), "hostPath %s", vol.HostPath.Path)
		}
	}
	for _, id := range cfg.idsOfType("processors", "ratelimit") {
		if w.kind == "Deployment" {
			assert.Equal(t, "redis", cfg.str(t, "processors", id, "backend"),
				"gateway replicas share their limits through Redis")
		}
	}
}

// TestHelmValues checks deploy/helm/values.yaml for the upstream chart: its
// Kubernetes parts decode strictly into the API types, and its config is
// the agent's and validates in redline.
func TestHelmValues(t *testing.T) {
	data, err := os.ReadFile(helmValues)
	require.NoError(t, err)
	var values map[string]any
	require.NoError(t, yaml.Unmarshal(data, &values))

	assert.Equal(t, "daemonset", values["mode"])
	assert.Equal(t, "redline", nested(values, "command", "name"), "the chart runs /<command.name>")

	// The same image as the plain manifests.
	ms := loadManifests(t)
	var agent *workload
	for _, w := range workloads(ms) {
		if w.kind == "DaemonSet" {
			agent = &w
		}
	}
	require.NotNil(t, agent, "no agent DaemonSet")
	image := agent.template.Spec.Containers[0].Image
	assert.Equal(t, image, fmt.Sprintf("%v:%v", nested(values, "image", "repository"), nested(values, "image", "tag")))

	// Strict decoding of the parts the chart copies into the pod spec.
	var (
		env          []corev1.EnvVar
		volumes      []corev1.Volume
		mounts       []corev1.VolumeMount
		inits        []corev1.Container
		sc           corev1.SecurityContext
		psc          corev1.PodSecurityContext
		res          corev1.ResourceRequirements
		live, ready  corev1.Probe
		annotations  map[string]string
		decodedParts = []struct {
			key string
			out any
		}{
			{"extraEnvs", &env}, {"extraVolumes", &volumes}, {"extraVolumeMounts", &mounts},
			{"initContainers", &inits}, {"securityContext", &sc}, {"podSecurityContext", &psc},
			{"resources", &res}, {"livenessProbe", &live}, {"readinessProbe", &ready},
			{"podAnnotations", &annotations},
		}
	)
	for _, p := range decodedParts {
		v, ok := values[p.key]
		require.True(t, ok, "values.yaml has no %s", p.key)
		b, err := yaml.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, strictInto(b, p.out), "values.yaml %s", p.key)
	}

	// Build the pod the chart renders, as far as the checks need it, and
	// run the same checks as for the DaemonSet.
	config, ok := values["alternateConfig"]
	require.True(t, ok, "alternateConfig replaces the chart's default config")
	cfgYAML, err := yaml.Marshal(config)
	require.NoError(t, err)

	container := corev1.Container{
		Name:            "opentelemetry-collector",
		Env:             env,
		VolumeMounts:    mounts,
		SecurityContext: &sc,
		Resources:       res,
		LivenessProbe:   &live,
		ReadinessProbe:  &ready,
	}
	for name, p := range values["ports"].(map[string]any) {
		if p.(map[string]any)["enabled"] == true {
			container.Ports = append(container.Ports, corev1.ContainerPort{
				Name: name, ContainerPort: int32(p.(map[string]any)["containerPort"].(float64)),
			})
		}
	}
	w := workload{kind: "DaemonSet", name: "helm", template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		ServiceAccountName:           "chart",
		AutomountServiceAccountToken: agent.template.Spec.AutomountServiceAccountToken,
		SecurityContext:              &psc,
		InitContainers:               inits,
		Containers:                   []corev1.Container{container},
		Volumes:                      volumes,
	}}}

	setPodEnv(t, "helm values", env, string(cfgYAML))
	cfg := parseRawConfig(t, string(cfgYAML))
	checkSecurity(t, w)
	checkProbes(t, container, cfg)
	checkWritablePaths(t, w, container, cfg)

	// The chart sets GOMEMLIMIT itself (useGOMEMLIMIT: 80% of the limit).
	assert.Equal(t, true, values["useGOMEMLIMIT"])
	container.Env = append(container.Env, corev1.EnvVar{Name: "GOMEMLIMIT",
		Value: fmt.Sprintf("%dMiB", res.Limits.Memory().Value()*8/10/mib)})
	checkMemory(t, container, cfg)

	// And it is the agent's config, so the two ways to deploy do the same.
	cms := configMaps(ms)
	_, agentConfig := podConfig(t, *agent, cms)
	var fromHelm, fromManifest any
	require.NoError(t, yaml.Unmarshal(cfgYAML, &fromHelm))
	require.NoError(t, yaml.Unmarshal([]byte(agentConfig), &fromManifest))
	assert.Equal(t, fromManifest, fromHelm, "helm alternateConfig differs from the agent ConfigMap's config")

	validateCollectorConfig(t, "helm values alternateConfig", string(cfgYAML))
}

func nested(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}
