package soak

import (
	"math"
	"slices"
	"time"
)

// Quantile is the q-quantile of ds by nearest rank (the smallest value
// with at least q of the values at or below it); 0 for no values.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Point is one sample of a figure at a time since the start.
type Point struct {
	At    time.Duration
	Value float64
}

// Slope is the least-squares slope of the points, per minute, and whether
// it could be computed (two points at different times at least).
func Slope(ps []Point) (perMinute float64, ok bool) {
	if len(ps) < 2 {
		return 0, false
	}
	var mx, my float64
	for _, p := range ps {
		mx += p.At.Minutes()
		my += p.Value
	}
	n := float64(len(ps))
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for _, p := range ps {
		dx := p.At.Minutes() - mx
		sxy += dx * (p.Value - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return 0, false
	}
	return sxy / sxx, true
}

// Steady is the points from the end of the warm-up on, when that leaves
// at least two of them; otherwise all of them.
func Steady(ps []Point, warmUp time.Duration) []Point {
	i := slices.IndexFunc(ps, func(p Point) bool { return p.At >= warmUp })
	if i < 0 || len(ps)-i < 2 {
		return ps
	}
	return ps[i:]
}
