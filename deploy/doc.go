// Package deploy holds beatbench's Kubernetes manifests and the Dockerfile of
// its image; its Go code is only the test that reads them.
//
// shards.yaml is an Indexed Job that runs N beatbench shards against one
// registry, each taking its shard from JOB_COMPLETION_INDEX (-shard job/N)
// and writing its JSON report to a ReadWriteMany volume (pvc.yaml);
// merge.yaml is a second Job that adds the reports up. The test decodes the
// manifests into k8s.io/api types and checks that they agree with each
// other: Indexed mode, completions = parallelism = the N of -shard job/N,
// one report per index on the shared volume, the merge step reading exactly
// those reports from the same claim, resources set, no password in plain
// text.
//
// This directory is its own Go module so that the core module never
// depends on k8s.io.
package deploy
