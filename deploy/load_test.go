package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// manifests are the objects of deploy/'s YAML files, decoded into the
// types the Kubernetes API server decodes them into.
type manifests struct {
	shards *batchv1.Job                  // the Indexed Job of shards
	merge  *batchv1.Job                  // the Job that merges their reports
	pvc    *corev1.PersistentVolumeClaim // the volume they share
	entry  []string                      // the image's ENTRYPOINT
	user   int64                         // the image's USER, a numeric uid
}

// Names of the objects, as the manifests and the README use them.
const (
	shardsName = "beatbench-shards"
	mergeName  = "beatbench-merge"
	pvcName    = "beatbench-reports"
)

// docSeparator splits a multi-document YAML stream.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// loadManifests reads and strictly decodes the YAML files (an unknown or
// duplicated field is an error, as a typo would be) and the Dockerfile's
// ENTRYPOINT. Kinds other than Job and PersistentVolumeClaim are refused:
// a Secret here would put a password in the repository.
func loadManifests(dockerfile string, files ...string) (manifests, error) {
	var m manifests
	var err error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return m, err
		}
		for i, doc := range docSeparator.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			if err := m.decode([]byte(doc)); err != nil {
				return m, fmt.Errorf("%s, document %d: %w", f, i, err)
			}
		}
	}
	switch {
	case m.shards == nil:
		return m, fmt.Errorf("no Job %s", shardsName)
	case m.merge == nil:
		return m, fmt.Errorf("no Job %s", mergeName)
	case m.pvc == nil:
		return m, fmt.Errorf("no PersistentVolumeClaim %s", pvcName)
	}
	m.entry, m.user, err = image(dockerfile)
	return m, err
}

// decode decodes one YAML document into its typed object.
func (m *manifests) decode(doc []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return err
	}
	switch {
	case head.APIVersion == "batch/v1" && head.Kind == "Job":
		job := new(batchv1.Job)
		if err := yaml.UnmarshalStrict(doc, job); err != nil {
			return err
		}
		switch job.Name {
		case shardsName:
			m.shards = job
		case mergeName:
			m.merge = job
		default:
			return fmt.Errorf("unexpected Job %q", job.Name)
		}
	case head.APIVersion == "v1" && head.Kind == "PersistentVolumeClaim":
		pvc := new(corev1.PersistentVolumeClaim)
		if err := yaml.UnmarshalStrict(doc, pvc); err != nil {
			return err
		}
		if pvc.Name != pvcName {
			return fmt.Errorf("unexpected PersistentVolumeClaim %q", pvc.Name)
		}
		m.pvc = pvc
	default:
		return fmt.Errorf("unexpected %s %s %q: only Jobs and a PersistentVolumeClaim belong here", head.APIVersion, head.Kind, head.Metadata.Name)
	}
	return nil
}

// stripComments drops YAML comment lines, so a document of comments only
// counts as empty.
func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.Lines(doc) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// image returns the exec-form ENTRYPOINT and the numeric USER of the
// Dockerfile's last stage.
func image(dockerfile string) (entry []string, user int64, err error) {
	data, err := os.ReadFile(dockerfile)
	if err != nil {
		return nil, 0, err
	}
	user = -1
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		if bytes.HasPrefix(line, []byte("FROM ")) {
			entry, user = nil, -1 // a new stage
		}
		if rest, ok := bytes.CutPrefix(line, []byte("ENTRYPOINT ")); ok {
			if err := json.Unmarshal(rest, &entry); err != nil {
				return nil, 0, fmt.Errorf("%s: ENTRYPOINT is not in exec form: %w", dockerfile, err)
			}
		}
		if rest, ok := bytes.CutPrefix(line, []byte("USER ")); ok {
			uid, _, _ := strings.Cut(string(rest), ":")
			if user, err = strconv.ParseInt(uid, 10, 64); err != nil {
				return nil, 0, fmt.Errorf("%s: USER %s is not a numeric uid: %w", dockerfile, rest, err)
			}
		}
	}
	switch {
	case entry == nil:
		return nil, 0, fmt.Errorf("%s: no ENTRYPOINT in the last stage", dockerfile)
	case user < 0:
		return nil, 0, fmt.Errorf("%s: no USER in the last stage", dockerfile)
	}
	return entry, user, nil
}
