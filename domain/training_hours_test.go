package domain

import (
	"testing"
	"time"
)

func TestClassHoursFit(t *testing.T) {
	at := time.Date(2026, 6, 4, 9, 0, 0, 0, Shanghai)
	for _, c := range []struct {
		hours int
		slot  time.Duration
		fit   bool
	}{{3, 3 * time.Minute, false}, {3, 2*time.Hour + 14*time.Minute, false}, {3, 2*time.Hour + 15*time.Minute, true}, {4, 4 * time.Hour, true}} {
		if got := ClassHoursFit(c.hours, at, at.Add(c.slot)); got != c.fit {
			t.Errorf("%d class hours in %v: fit = %v, want %v", c.hours, c.slot, got, c.fit)
		}
	}
}
