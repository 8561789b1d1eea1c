// Package deploy holds xinyong's deployment files (systemd units, Kubernetes manifests, the production image)
// and the tests that keep them true: every manifest parses and wires probes, config and budgets correctly
// (manifests_test.go), a backup restores (restore_test.go), and the whole production topology runs
// (topology_test.go). OPERATIONS.md is the operator's guide.
package deploy
