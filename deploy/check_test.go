package deploy

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// indexVar is the variable Kubernetes sets to a pod's completion index in
// an Indexed Job, and indexAnnotation the pod annotation it comes from.
const (
	indexVar        = "JOB_COMPLETION_INDEX"
	indexAnnotation = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
)

// check returns every way the manifests fail to run N shards and merge
// their reports, joined; nil when they are right.
func (m manifests) check() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	// The shards: an Indexed Job, all at once, each told it is one of N.
	js := m.shards.Spec
	if js.CompletionMode == nil || *js.CompletionMode != batchv1.IndexedCompletion {
		fail("shards: completionMode is not Indexed")
	}
	if js.Completions == nil || js.Parallelism == nil {
		fail("shards: completions and parallelism must both be set")
		return errors.Join(errs...)
	}
	n := int(*js.Completions)
	if int(*js.Parallelism) != n {
		fail("shards: parallelism %d != completions %d: shards that run one after another do not load the registry together", *js.Parallelism, n)
	}
	if p := m.shards.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever {
		fail("shards: restartPolicy %q: a shard restarted in place measures another window over its report", p)
	}
	sc, err := onlyContainer("shards", m.shards)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	args := sc.Args
	shard, ok := flagValue(args, "shard")
	if want := "job/" + strconv.Itoa(n); !ok || shard != want {
		fail("shards: -shard %q, want %q (the index from %s, N = completions)", shard, want, indexVar)
	}
	if _, ok := flagValue(args, "server"); !ok {
		fail("shards: no -server: the shards would each start an embedded server")
	}
	report, _ := flagValue(args, "json")
	if strings.Count(report, "$("+indexVar+")") != 1 {
		fail("shards: -json %q does not name each shard's report by $(%s)", report, indexVar)
	}
	if path.Dir(report) == "/" || path.Dir(report) == "." {
		fail("shards: -json %q is not on a volume", report)
	}
	if !declares(sc, indexVar, indexAnnotation) {
		fail("shards: env %s is not declared from %s, so $(%s) would not expand", indexVar, indexAnnotation, indexVar)
	}
	errs = append(errs, undeclared("shards", sc)...)
	reportDir := path.Dir(report)
	errs = append(errs, m.mountsClaim("shards", m.shards, sc, reportDir)...)

	// The merge: every shard's report, from the same volume.
	mc, err := onlyContainer("merge", m.merge)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if len(mc.Args) == 0 || mc.Args[0] != "merge" {
		fail("merge: args %q do not start with the merge command", mc.Args)
	} else {
		files, flags := operands(mc.Args[1:])
		var want []string
		for i := range n {
			want = append(want, strings.Replace(report, "$("+indexVar+")", strconv.Itoa(i), 1))
		}
		slices.Sort(files)
		slices.Sort(want)
		if !slices.Equal(files, want) {
			fail("merge: reads %q, want every shard's report %q", files, want)
		}
		out, _ := flagValue(flags, "json")
		if path.Dir(out) != reportDir || slices.Contains(want, out) {
			fail("merge: -json %q, want a new file in %s beside the shards' reports", out, reportDir)
		}
		if v, _ := flagValue(flags, "min-delivered"); v == "" {
			fail("merge: no -min-delivered: the Job would succeed however few beats were delivered")
		}
	}
	errs = append(errs, undeclared("merge", mc)...)
	errs = append(errs, m.mountsClaim("merge", m.merge, mc, reportDir)...)

	// Both: one image, run as its ENTRYPOINT, with resources, no secret in
	// the open, not as root.
	if sc.Image != mc.Image {
		fail("merge: image %q is not the shards' %q", mc.Image, sc.Image)
	}
	for _, j := range []struct {
		name string
		job  *batchv1.Job
		c    *corev1.Container
	}{{"shards", m.shards, sc}, {"merge", m.merge, mc}} {
		if !slices.Equal(j.c.Command, m.entry) {
			fail("%s: command %q is not the image's ENTRYPOINT %q", j.name, j.c.Command, m.entry)
		}
		errs = append(errs, resourcesSet(j.name, j.c)...)
		errs = append(errs, noPlaintextSecrets(j.name, j.c)...)
		ps := j.job.Spec.Template.Spec.SecurityContext
		switch {
		case ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot:
			fail("%s: pod does not set runAsNonRoot", j.name)
		case ps.RunAsUser == nil || *ps.RunAsUser != m.user || ps.FSGroup == nil || *ps.FSGroup != m.user:
			fail("%s: pod's runAsUser and fsGroup are not the image's USER %d, which owns what it writes to the volume", j.name, m.user)
		}
	}
	return errors.Join(errs...)
}

// onlyContainer returns the Job's one container.
func onlyContainer(name string, job *batchv1.Job) (*corev1.Container, error) {
	cs := job.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		return nil, fmt.Errorf("%s: %d containers, want 1", name, len(cs))
	}
	return &cs[0], nil
}

// mountsClaim checks that c has the manifests' claim mounted at dir, and
// that the claim can be mounted by pods on several nodes at once.
func (m manifests) mountsClaim(name string, job *batchv1.Job, c *corev1.Container, dir string) []error {
	var errs []error
	if !slices.Contains(m.pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		errs = append(errs, fmt.Errorf("%s: claim %s is not ReadWriteMany: shards on other nodes cannot write to it", name, m.pvc.Name))
	}
	for _, vm := range c.VolumeMounts {
		if vm.MountPath != dir || vm.ReadOnly {
			continue
		}
		for _, v := range job.Spec.Template.Spec.Volumes {
			if v.Name == vm.Name && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == m.pvc.Name {
				return errs
			}
		}
	}
	return append(errs, fmt.Errorf("%s: claim %s is not mounted (writable) at %s", name, m.pvc.Name, dir))
}

// varRef matches a $(VAR) reference, which Kubernetes expands in command
// and args from the container's env.
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// undeclared reports each $(VAR) in c's command line that c's env does not
// declare: Kubernetes would pass it through as is.
func undeclared(name string, c *corev1.Container) []error {
	var errs []error
	for _, a := range slices.Concat(c.Command, c.Args) {
		for _, ref := range varRef.FindAllStringSubmatch(a, -1) {
			if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == ref[1] }) {
				errs = append(errs, fmt.Errorf("%s: %s is not in env, so %q would not expand", name, ref[0], a))
			}
		}
	}
	return errs
}

// declares reports whether c's env sets name from the pod field fieldPath.
func declares(c *corev1.Container, name, fieldPath string) bool {
	return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == fieldPath
	})
}

// resourcesSet checks that c requests CPU and memory and caps its memory.
func resourcesSet(name string, c *corev1.Container) []error {
	var errs []error
	r := c.Resources
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := r.Requests[res]; !ok || q.Sign() <= 0 {
			errs = append(errs, fmt.Errorf("%s: no resources.requests.%s", name, res))
		}
	}
	if q, ok := r.Limits[corev1.ResourceMemory]; !ok || q.Sign() <= 0 {
		errs = append(errs, fmt.Errorf("%s: no resources.limits.memory", name))
	} else if req, ok := r.Requests[corev1.ResourceMemory]; ok && q.Cmp(req) < 0 {
		errs = append(errs, fmt.Errorf("%s: memory limit %s below its request %s", name, q.String(), req.String()))
	}
	return errs
}

// secretish matches the names of env vars that hold credentials.
var secretish = regexp.MustCompile(`(?i)password|passwd|token|secret|username`)

// noPlaintextSecrets checks that credentials reach c only from a Secret:
// no -password or -username flag, and every credential env var from a
// secretKeyRef, never a literal value.
func noPlaintextSecrets(name string, c *corev1.Container) []error {
	var errs []error
	for _, f := range []string{"password", "username"} {
		if _, ok := flagValue(slices.Concat(c.Command, c.Args), f); ok {
			errs = append(errs, fmt.Errorf("%s: -%s on the command line: anyone who can list pods reads it", name, f))
		}
	}
	for _, e := range c.Env {
		if !secretish.MatchString(e.Name) {
			continue
		}
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			errs = append(errs, fmt.Errorf("%s: env %s is not from a Secret", name, e.Name))
		}
	}
	return errs
}

// flagValue returns the value of Go flag -name (or --name) in args, given
// as "-name value" or "-name=value".
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		a, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		a = strings.TrimPrefix(a, "-")
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// operands splits a merge command line (flags before, between or after the
// files, each flag with a value) into its files and its flags.
func operands(args []string) (files, flags []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case !strings.HasPrefix(a, "-"):
			files = append(files, a)
		case strings.Contains(a, "="):
			flags = append(flags, a)
		case i+1 < len(args):
			flags = append(flags, a, args[i+1])
			i++
		default:
			flags = append(flags, a)
		}
	}
	return files, flags
}
