package cronjob

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestOlderJobOrdersBySchedule(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	job := func(name, scheduled string) *batchv1.Job {
		return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: created,
			Annotations: map[string]string{ScheduledTimestampAnnotation: scheduled}}}
	}
	// Same creation second: the schedule time decides, not the name.
	early, late := job("tick-b", "2026-01-01T00:05:00Z"), job("tick-a", "2026-01-01T00:10:00Z")
	if !olderJob(early, late) || olderJob(late, early) {
		t.Errorf("the job for 00:05 must sort before the one for 00:10")
	}
	// Without annotations, the name breaks the tie so the order is stable.
	a, b := job("tick-1", ""), job("tick-2", "")
	if !olderJob(a, b) || olderJob(b, a) {
		t.Errorf("equal times must fall back to the name")
	}
}
