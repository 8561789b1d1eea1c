package domain

// TrainingStatus is where a training session stands.
type TrainingStatus string

// The statuses of a training session, in the order it reaches them.
const (
	TrainingPlanned TrainingStatus = "planned" // stored, its workflow not yet past the plan letter
	TrainingOpen    TrainingStatus = "open"    // the plan is issued; enrollment is open until the session starts
	TrainingStarted TrainingStatus = "started" // the session has begun: attendance and results are recorded
	TrainingClosed  TrainingStatus = "closed"  // closed by the agency (or by itself after the grace period); certificates issued
)

// Rank orders the statuses (a session only moves forward); an unknown status ranks -1.
func (s TrainingStatus) Rank() int {
	switch s {
	case TrainingPlanned:
		return 0
	case TrainingOpen:
		return 1
	case TrainingStarted:
		return 2
	case TrainingClosed:
		return 3
	}
	return -1
}

// Label is the Chinese name of the status.
func (s TrainingStatus) Label() string {
	switch s {
	case TrainingPlanned:
		return "筹备中"
	case TrainingOpen:
		return "报名中"
	case TrainingStarted:
		return "培训进行中"
	case TrainingClosed:
		return "已结束"
	}
	return string(s)
}

// EnrollmentStatus is where an enterprise's enrollment in a session stands.
type EnrollmentStatus string

// The statuses of an enrollment.
const (
	EnrollmentEnrolled   EnrollmentStatus = "enrolled"
	EnrollmentWaitlisted EnrollmentStatus = "waitlisted"
	EnrollmentCancelled  EnrollmentStatus = "cancelled"
)

// Label is the Chinese name of the status.
func (s EnrollmentStatus) Label() string {
	switch s {
	case EnrollmentEnrolled:
		return "已报名"
	case EnrollmentWaitlisted:
		return "候补"
	case EnrollmentCancelled:
		return "已取消"
	}
	return string(s)
}

// AttendeeRole is the capacity in which an enterprise's attendee comes to a session.
type AttendeeRole string

// Attendee roles.
const (
	AttendeeLegalRepresentative AttendeeRole = "legal_representative"
	AttendeeResponsibleManager  AttendeeRole = "responsible_manager"
)

// Label is the Chinese name of the role.
func (r AttendeeRole) Label() string {
	switch r {
	case AttendeeLegalRepresentative:
		return "法定代表人"
	case AttendeeResponsibleManager:
		return "主要负责人"
	}
	return string(r)
}
