// Package procstat reads what the benchmarks report of the machine and of
// processes from Linux's /proc: busy CPU time, load average, CPU model,
// memory, and a process's Vm* figures. Off Linux the readers report
// nothing (ok false, "?" or zero) rather than fail.
package procstat

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of /proc/stat's CPU times on every Linux architecture
// Go supports.
const userHZ = 100

// MachineBusy is the CPU time all cores have spent busy so far: every
// column of /proc/stat's "cpu" line but idle and iowait.
func MachineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return busy(line)
}

// busy reads a /proc/stat "cpu" line: user nice system idle iowait irq
// softirq steal …
func busy(line string) (time.Duration, bool) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for i, s := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / userHZ, true
}

// SelfCPU is this process's CPU time so far, user and system.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// LoadAverage is the 1, 5 and 15-minute load averages as /proc/loadavg
// writes them, "?" when unknown.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return loadAverage(string(b))
}

func loadAverage(text string) string {
	f := strings.Fields(text)
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Machine is what /proc/cpuinfo and /proc/meminfo say of the hardware.
type Machine struct {
	Processors int    // "processor" entries
	Model      string // the first "model name"; empty when unknown
	MemoryKB   int64  // MemTotal; 0 when unknown
}

// ReadMachine reads the CPU and memory description.
func ReadMachine() Machine {
	var m Machine
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.Processors, m.Model = cpuInfo(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryKB, _ = field(string(b), "MemTotal")
	}
	return m
}

func cpuInfo(text string) (processors int, model string) {
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			processors++
		case "model name":
			if model == "" {
				model = strings.TrimSpace(v)
			}
		}
	}
	return processors, model
}

// MemoryGiB is MemTotal in GiB.
func (m Machine) MemoryGiB() float64 { return float64(m.MemoryKB) / (1 << 20) }

// StatusKB reads a "Name:  N kB" field (VmRSS, VmHWM, …) of
// /proc/<pid>/status; pid 0 is this process.
func StatusKB(pid int, name string) (int64, bool) {
	dir := "self"
	if pid != 0 {
		dir = strconv.Itoa(pid)
	}
	f, err := os.Open(filepath.Join("/proc", dir, "status"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := field(sc.Text(), name); ok {
			return v, true
		}
	}
	return 0, false
}

// field finds the line "name: N [kB]" in text and reads N.
func field(text, name string) (int64, bool) {
	for line := range strings.Lines(text) {
		k, rest, ok := strings.Cut(line, ":")
		if !ok || k != name {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return v, err == nil
	}
	return 0, false
}

// ResetPeakRSS restarts this process's VmHWM from its current RSS
// (Linux ≥ 4.0), so a peak measures one phase only.
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
