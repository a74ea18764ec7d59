package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
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
	entry, err := entrypoint(dockerfile)
	m.entry = entry
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

// entrypoint returns the exec-form ENTRYPOINT of the Dockerfile's last
// stage.
func entrypoint(dockerfile string) ([]string, error) {
	data, err := os.ReadFile(dockerfile)
	if err != nil {
		return nil, err
	}
	var entry []string
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("ENTRYPOINT "))
		if !ok {
			continue
		}
		if err := json.Unmarshal(rest, &entry); err != nil {
			return nil, fmt.Errorf("%s: ENTRYPOINT is not in exec form: %w", dockerfile, err)
		}
	}
	if entry == nil {
		return nil, fmt.Errorf("%s: no ENTRYPOINT", dockerfile)
	}
	return entry, nil
}
