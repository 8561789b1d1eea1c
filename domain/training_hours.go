package domain

import "time"

// ClassHour is the length of one class hour (学时) of a credit-repair training.
const ClassHour = 45 * time.Minute

// ClassHoursFit reports whether a session from starts to ends has room for hours class hours.
func ClassHoursFit(hours int, starts, ends time.Time) bool {
	return ends.Sub(starts) >= time.Duration(hours)*ClassHour
}
