package podautoscaler

import (
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// recommendation is one unstabilized replica count the metrics gave.
type recommendation struct {
	replicas int32
	at       time.Time
}

// scaleEvent is one change the controller made, for the rate policies.
type scaleEvent struct {
	change int32 // always positive
	at     time.Time
}

// history is what the controller remembers of one autoscaler between
// syncs (in memory only, as upstream: a restart starts it afresh).
type history struct {
	recommendations      []recommendation
	scaleUps, scaleDowns []scaleEvent
}

// limit is a normalized count and, for the ScalingLimited condition, why
// it is what it is.
type limit struct {
	replicas        int32
	reason, message string
}

const (
	desiredWithinRange = "the desired count is within the acceptable range"
	scaleUpTooFast     = "the desired replica count is increasing faster than the maximum scale rate"
	scaleDownTooFast   = "the desired replica count is decreasing faster than the maximum scale rate"
	aboveMax           = "the desired replica count is more than the maximum replica count"
	belowMin           = "the desired replica count is less than the minimum replica count"
	downStabilized     = "recent recommendations were higher than current one, applying the highest recent recommendation"
	upStabilized       = "recent recommendations were lower than current one, applying the lowest recent recommendation"
)

// stabilizeWithoutBehavior is the count without a behavior: the highest
// recommendation within the downscale window (so the count falls only
// once every recommendation of the window is lower), this one recorded.
func (h *history) stabilizeWithoutBehavior(now time.Time, window time.Duration, desired int32) int32 {
	highest := desired
	cutoff := now.Add(-window)
	for _, r := range h.recommendations {
		if !r.at.Before(cutoff) && r.replicas > highest {
			highest = r.replicas
		}
	}
	h.record(now, desired, func(r recommendation) bool { return r.at.Before(cutoff) })
	return highest
}

// record keeps desired, in the place of a recommendation that no window
// needs any more (so the list does not grow), or appended.
func (h *history) record(now time.Time, desired int32, stale func(recommendation) bool) {
	for i, r := range h.recommendations {
		if stale(r) {
			h.recommendations[i] = recommendation{desired, now}
			return
		}
	}
	h.recommendations = append(h.recommendations, recommendation{desired, now})
}

// limitWithoutBehavior bounds the count by min and max, and a scale-up to
// twice the current count (at least 4), which guards against a bogus
// figure as upstream's fixed rule does.
func limitWithoutBehavior(current, desired, minReplicas, maxReplicas int32) limit {
	upLimit := int32(math.Max(2*float64(current), 4))
	maxAllowed, reason, message := maxReplicas, "TooManyReplicas", aboveMax
	if maxReplicas > upLimit {
		maxAllowed, reason, message = upLimit, "ScaleUpLimit", scaleUpTooFast
	}
	switch {
	case desired < minReplicas:
		return limit{minReplicas, "TooFewReplicas", belowMin}
	case desired > maxAllowed:
		return limit{maxAllowed, reason, message}
	}
	return limit{desired, "DesiredWithinRange", desiredWithinRange}
}

// stabilizeWithBehavior keeps the count between the lowest recommendation
// of the scale-up window and the highest of the scale-down window (so the
// count moves only in a direction every recent recommendation agrees
// with), this one recorded. It returns the reason and message for the
// AbleToScale condition when stabilization changed the count.
func (h *history) stabilizeWithBehavior(now time.Time, b *autoscalingv2.HorizontalPodAutoscalerBehavior, current, desired int32) (int32, string, string) {
	upCutoff := now.Add(-time.Duration(*b.ScaleUp.StabilizationWindowSeconds) * time.Second)
	downCutoff := now.Add(-time.Duration(*b.ScaleDown.StabilizationWindowSeconds) * time.Second)
	up, down := desired, desired
	for _, r := range h.recommendations {
		if r.at.After(upCutoff) {
			up = min(up, r.replicas)
		}
		if r.at.After(downCutoff) {
			down = max(down, r.replicas)
		}
	}
	stabilized := min(max(current, up), down)
	h.record(now, desired, func(r recommendation) bool { return r.at.Before(upCutoff) && r.at.Before(downCutoff) })
	if desired >= current {
		return stabilized, "ScaleUpStabilized", upStabilized
	}
	return stabilized, "ScaleDownStabilized", downStabilized
}

// limitWithBehavior bounds the count by min and max and by the rate
// policies: each policy allows a change relative to the count at the
// start of its period, and selectPolicy picks the largest (Max) or
// smallest (Min) allowance, or none (Disabled).
func (h *history) limitWithBehavior(now time.Time, b *autoscalingv2.HorizontalPodAutoscalerBehavior, current, desired, minReplicas, maxReplicas int32) limit {
	switch {
	case desired > current:
		upLimit := max(h.upLimit(now, current, b.ScaleUp), current)
		maxAllowed, reason, message := maxReplicas, "TooManyReplicas", aboveMax
		if maxReplicas > upLimit {
			maxAllowed, reason, message = upLimit, "ScaleUpLimit", scaleUpTooFast
		}
		if desired > maxAllowed {
			return limit{maxAllowed, reason, message}
		}
	case desired < current:
		downLimit := min(h.downLimit(now, current, b.ScaleDown), current)
		minAllowed, reason, message := minReplicas, "TooFewReplicas", belowMin
		if minReplicas < downLimit {
			minAllowed, reason, message = downLimit, "ScaleDownLimit", scaleDownTooFast
		}
		if desired < minAllowed {
			return limit{minAllowed, reason, message}
		}
	}
	return limit{desired, "DesiredWithinRange", desiredWithinRange}
}

// periodStart is the count at the start of a policy's period: the current
// count less what was added and plus what was removed within it.
func (h *history) periodStart(now time.Time, current, periodSeconds int32) int32 {
	cutoff := now.Add(-time.Duration(periodSeconds) * time.Second)
	start := current
	for _, e := range h.scaleUps {
		if e.at.After(cutoff) {
			start -= e.change
		}
	}
	for _, e := range h.scaleDowns {
		if e.at.After(cutoff) {
			start += e.change
		}
	}
	return start
}

// upLimit is the most replicas the scale-up rules allow now.
func (h *history) upLimit(now time.Time, current int32, rules *autoscalingv2.HPAScalingRules) int32 {
	pick, result := selector(rules, true)
	if pick == nil {
		return current
	}
	for _, p := range rules.Policies {
		start := h.periodStart(now, current, p.PeriodSeconds)
		proposed := start + p.Value
		if p.Type == autoscalingv2.PercentScalingPolicy {
			// Rounded up: a small count must still be able to grow.
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		result = pick(result, proposed)
	}
	return result
}

// downLimit is the fewest replicas the scale-down rules allow now.
func (h *history) downLimit(now time.Time, current int32, rules *autoscalingv2.HPAScalingRules) int32 {
	pick, result := selector(rules, false)
	if pick == nil {
		return current
	}
	for _, p := range rules.Policies {
		start := h.periodStart(now, current, p.PeriodSeconds)
		proposed := start - p.Value
		if p.Type == autoscalingv2.PercentScalingPolicy {
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// selector is how policies' allowances combine: for a scale-up, Max takes
// the highest count and Min the lowest; for a scale-down the other way
// round. nil: scaling this way is disabled.
func selector(rules *autoscalingv2.HPAScalingRules, up bool) (func(a, b int32) int32, int32) {
	policy := autoscalingv2.MaxChangePolicySelect
	if rules.SelectPolicy != nil {
		policy = *rules.SelectPolicy
	}
	highest := func(a, b int32) int32 { return max(a, b) }
	lowest := func(a, b int32) int32 { return min(a, b) }
	switch {
	case policy == autoscalingv2.DisabledPolicySelect:
		return nil, 0
	case (policy == autoscalingv2.MinChangePolicySelect) == up:
		return lowest, math.MaxInt32
	default:
		return highest, math.MinInt32
	}
}

// recordScale remembers a change, dropping events older than every
// policy period of its direction.
func (h *history) recordScale(now time.Time, b *autoscalingv2.HorizontalPodAutoscalerBehavior, from, to int32) {
	if b == nil || from == to {
		return
	}
	events, rules, change := &h.scaleUps, b.ScaleUp, to-from
	if to < from {
		events, rules, change = &h.scaleDowns, b.ScaleDown, from-to
	}
	var longest int32
	for _, p := range rules.Policies {
		longest = max(longest, p.PeriodSeconds)
	}
	cutoff := now.Add(-time.Duration(longest) * time.Second)
	kept := (*events)[:0]
	for _, e := range *events {
		if !e.at.Before(cutoff) {
			kept = append(kept, e)
		}
	}
	*events = append(kept, scaleEvent{change, now})
}
