package contract

// NextImportBatchInput asks for the next rows of an import whose lifecycles are to be started.
type NextImportBatchInput struct {
	ImportID int64
	AfterRow int
	Limit    int
}

// LifecycleArgs is the argument of the penalty workflow; it must encode exactly like workflows.PenaltyParams (a
// test in the workflows package checks it), since activities cannot import the workflows package.
type LifecycleArgs struct {
	PenaltyID int64
	Shape     int `json:",omitempty"`
}

// LifecycleShape is the shape a lifecycle started now takes (workflows.PenaltyShape, PenaltyParams.Shape): it is
// defined here, where the import's activity that starts lifecycles can see it.
const LifecycleShape = 1

// LifecycleStart is one lifecycle workflow to start.
type LifecycleStart struct {
	PenaltyID  int64
	WorkflowID string
}

// StartLifecyclesInput is a batch of penalty lifecycles an import starts.
type StartLifecyclesInput struct {
	ImportID     int64
	WorkflowType string
	TaskQueue    string
	Starts       []LifecycleStart
}

// ImportStart is a row of an import whose lifecycle is to be started, and whether it has been.
type ImportStart struct {
	Row       int
	PenaltyID int64
	Started   bool
}
