package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is the machine's CPU time (all cores, from /proc/stat) and this
// process's (getrusage) at one instant.
type cpuSample struct {
	at          time.Time
	machineBusy time.Duration
	self        time.Duration
	ok          bool
}

// userHZ is the unit of /proc/stat on every Linux architecture Go supports.
const userHZ = 100

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return s
	}
	// user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
	var busy int64
	for i, f := range fields[1:min(len(fields), 9)] {
		if i == 3 || i == 4 {
			continue
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return s
		}
		busy += v
	}
	s.machineBusy = time.Duration(busy) * time.Second / userHZ
	s.ok = true
	return s
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

// loadAverage is the first field of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return f[0] + " " + f[1] + " " + f[2]
}
