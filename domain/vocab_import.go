package domain

// ImportStatus is where a batch import of penalties stands (penalty_imports.status): its rows are stored at once,
// then its job (import-<id>) starts the lifecycles of the new records in the background.
type ImportStatus string

// The statuses of an import.
const (
	ImportStarting  ImportStatus = "starting"  // rows stored; the job is starting their lifecycles
	ImportCompleted ImportStatus = "completed" // every lifecycle the import had to start is started
	// ImportFailed: the job ended without completing (failed, terminated or timed out); the lifecycles not yet
	// started wait for an operator to start the job again (the reconciler marks it, docs/reconciler.md).
	ImportFailed ImportStatus = "failed"
)

// ImportStatuses lists the statuses of an import.
var ImportStatuses = []ImportStatus{ImportStarting, ImportCompleted, ImportFailed}

// Label is the Chinese name of the status.
func (s ImportStatus) Label() string {
	switch s {
	case ImportStarting:
		return "正在启动办理流程"
	case ImportCompleted:
		return "已全部启动"
	case ImportFailed:
		return "启动中断，待运维处理"
	}
	return string(s)
}

// Final reports whether the import no longer changes by itself (the page stops refreshing).
func (s ImportStatus) Final() bool { return s == ImportCompleted || s == ImportFailed }
