package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// files are the manifests, in the order the README applies them.
var files = []string{"pvc.yaml", "shards.yaml", "merge.yaml"}

func load(t *testing.T) manifests {
	t.Helper()
	m, err := loadManifests("Dockerfile", files...)
	require.NoError(t, err)
	return m
}

// TestManifests checks the committed manifests: N shards in an Indexed
// Job, each writing its report to the shared claim, and a merge that reads
// all N from it.
func TestManifests(t *testing.T) {
	m := load(t)
	require.NoError(t, m.check())

	// The figures the README quotes.
	assert.Equal(t, int32(4), *m.shards.Spec.Completions)
	report, _ := flagValue(m.shards.Spec.Template.Spec.Containers[0].Args, "json")
	assert.Equal(t, "/reports/shard-$(JOB_COMPLETION_INDEX).json", report)
	assert.Equal(t, []string{"/beatbench"}, m.entry)
	assert.Equal(t, int64(65532), m.user) // distroless's nonroot
}

// TestCheckCatches breaks the manifests one way at a time and checks that
// check names what broke: each check can fail.
func TestCheckCatches(t *testing.T) {
	shardArgs := func(m manifests) *[]string { return &m.shards.Spec.Template.Spec.Containers[0].Args }
	mergeArgs := func(m manifests) *[]string { return &m.merge.Spec.Template.Spec.Containers[0].Args }
	set := func(args *[]string, flag, value string) {
		i := slices.Index(*args, "-"+flag)
		require.GreaterOrEqual(t, i, 0, flag)
		(*args)[i+1] = value
	}
	env := func(j *batchv1.Job, name string) *corev1.EnvVar {
		c := &j.Spec.Template.Spec.Containers[0]
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
		require.GreaterOrEqual(t, i, 0, name)
		return &c.Env[i]
	}

	tests := []struct {
		name   string
		break_ func(m manifests)
		want   string
	}{
		{"not indexed", func(m manifests) {
			m.shards.Spec.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
		}, "completionMode is not Indexed"},
		{"completions unset", func(m manifests) { m.shards.Spec.Completions = nil }, "completions and parallelism must both be set"},
		{"fewer at once", func(m manifests) { m.shards.Spec.Parallelism = ptr.To[int32](2) }, "parallelism 2 != completions 4"},
		{"more completions than shards", func(m manifests) {
			m.shards.Spec.Completions = ptr.To[int32](5)
			m.shards.Spec.Parallelism = ptr.To[int32](5)
		}, `-shard "job/4", want "job/5"`},
		{"fixed shard", func(m manifests) { set(shardArgs(m), "shard", "0/4") }, `want "job/4"`},
		{"no -server", func(m manifests) {
			a := shardArgs(m)
			i := slices.Index(*a, "-server")
			*a = slices.Delete(*a, i, i+2)
		}, "no -server"},
		{"one report for all", func(m manifests) { set(shardArgs(m), "json", "/reports/shard.json") }, "does not name each shard's report"},
		{"report off the volume", func(m manifests) { set(shardArgs(m), "json", "shard-$(JOB_COMPLETION_INDEX).json") }, "is not on a volume"},
		{"index not declared", func(m manifests) {
			env(m.shards, "JOB_COMPLETION_INDEX").ValueFrom.FieldRef.FieldPath = "metadata.name"
		}, "env JOB_COMPLETION_INDEX is not declared"},
		{"undeclared variable", func(m manifests) { set(shardArgs(m), "server", "$(REGISTRY)") }, "$(REGISTRY) is not in env"},
		{"restarts in place", func(m manifests) {
			m.shards.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		}, `restartPolicy "OnFailure"`},
		{"merge misses a shard", func(m manifests) {
			a := mergeArgs(m)
			*a = slices.DeleteFunc(*a, func(s string) bool { return s == "/reports/shard-3.json" })
		}, "want every shard's report"},
		{"merge reads another directory", func(m manifests) {
			a := mergeArgs(m)
			for i, s := range *a {
				(*a)[i] = strings.Replace(s, "/reports/shard-", "/data/shard-", 1)
			}
		}, "want every shard's report"},
		{"merge writes over a shard", func(m manifests) { set(mergeArgs(m), "json", "/reports/shard-0.json") }, "want a new file in /reports"},
		{"merge does not gate", func(m manifests) {
			a := mergeArgs(m)
			i := slices.Index(*a, "-min-delivered")
			*a = slices.Delete(*a, i, i+2)
		}, "no -min-delivered"},
		{"merge mounts elsewhere", func(m manifests) {
			m.merge.Spec.Template.Spec.Containers[0].VolumeMounts[0].MountPath = "/data"
		}, "merge: claim beatbench-reports is not mounted (writable) at /reports"},
		{"merge uses another claim", func(m manifests) {
			m.merge.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName = "other"
		}, "merge: claim beatbench-reports is not mounted"},
		{"claim on one node only", func(m manifests) {
			m.pvc.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
		}, "is not ReadWriteMany"},
		{"other image", func(m manifests) { m.merge.Spec.Template.Spec.Containers[0].Image = "beatbench:old" }, "is not the shards'"},
		{"not the entrypoint", func(m manifests) {
			m.shards.Spec.Template.Spec.Containers[0].Command = []string{"/bin/beatbench"}
		}, "is not the image's ENTRYPOINT"},
		{"no resources", func(m manifests) {
			m.merge.Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
		}, "merge: no resources.requests.cpu"},
		{"no memory limit", func(m manifests) {
			delete(m.shards.Spec.Template.Spec.Containers[0].Resources.Limits, corev1.ResourceMemory)
		}, "shards: no resources.limits.memory"},
		{"password in env", func(m manifests) {
			e := env(m.shards, "NACOS_PASSWORD")
			e.ValueFrom, e.Value = nil, "nacos"
		}, "env NACOS_PASSWORD is not from a Secret"},
		{"password on the command line", func(m manifests) {
			a := shardArgs(m)
			*a = append(*a, "-password", "nacos")
		}, "-password on the command line"},
		{"another user", func(m manifests) {
			m.shards.Spec.Template.Spec.SecurityContext.RunAsUser = ptr.To[int64](1000)
		}, "shards: pod's runAsUser and fsGroup are not the image's USER 65532"},
		{"no fsGroup", func(m manifests) {
			m.merge.Spec.Template.Spec.SecurityContext.FSGroup = nil
		}, "merge: pod's runAsUser and fsGroup"},
		{"root", func(m manifests) {
			m.merge.Spec.Template.Spec.SecurityContext.RunAsNonRoot = ptr.To(false)
		}, "merge: pod does not set runAsNonRoot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := load(t)
			tt.break_(m)
			err := m.check()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestLoadRefuses checks that a Secret, an unknown field and a misnamed
// object are refused, not skipped.
func TestLoadRefuses(t *testing.T) {
	pvc, err := os.ReadFile("pvc.yaml")
	require.NoError(t, err)
	tests := []struct {
		name, extra, want string
	}{
		{"secret", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: beatbench-nacos\nstringData:\n  password: nacos\n", `unexpected v1 Secret "beatbench-nacos"`},
		{"typo", strings.Replace(string(pvc), "accessModes", "accesModes", 1), `unknown field "accesModes"`},
		{"other job", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: other\n", `unexpected Job "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := filepath.Join(t.TempDir(), "extra.yaml")
			require.NoError(t, os.WriteFile(extra, []byte("# leading comment\n---\n"+tt.extra), 0o600))
			_, err := loadManifests("Dockerfile", append(slices.Clone(files), extra)...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
