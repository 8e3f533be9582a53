package main

import (
	"time"

	"github.com/ml-studio/ml-studio/pkg/procstat"
)

// cpuSample is the machine's CPU time (all cores, from /proc/stat) and this
// process's (getrusage) at one instant.
type cpuSample struct {
	at          time.Time
	machineBusy time.Duration
	self        time.Duration
	ok          bool
}

func sampleCPU() cpuSample {
	busy, ok := procstat.MachineBusy()
	return cpuSample{at: time.Now(), machineBusy: busy, self: procstat.SelfCPU(), ok: ok}
}

// cpuUse is the CPU used between two samples, in cores (1.0 = one core
// busy the whole time).
type cpuUse struct {
	machine, self float64
	ok            bool
}

func cpuBetween(a, b cpuSample) cpuUse {
	wall := b.at.Sub(a.at).Seconds()
	if !a.ok || !b.ok || wall <= 0 {
		return cpuUse{}
	}
	return cpuUse{
		machine: (b.machineBusy - a.machineBusy).Seconds() / wall,
		self:    (b.self - a.self).Seconds() / wall,
		ok:      true,
	}
}
