package procstat

import (
	"testing"
	"time"
)

func TestBusy(t *testing.T) {
	tests := []struct {
		line string
		want time.Duration
		ok   bool
	}{
		// user nice system idle iowait irq softirq steal guest: idle and iowait are not busy.
		{"cpu  100 20 30 5000 70 1 2 3 0 0", 156 * 10 * time.Millisecond, true},
		{"cpu  0 0 0 0 0 0 0 0", 0, true},
		{"cpu0 100 20 30 5000 70 1 2 3", 0, false},
		{"cpu  100 20 30", 0, false},
		{"cpu  100 x 30 5000 70 1 2 3", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, ok := busy(tt.line)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("busy = %s, %v; want %s, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLoadAverage(t *testing.T) {
	for text, want := range map[string]string{
		"0.52 1.20 3.45 2/345 6789\n": "0.52 1.20 3.45",
		"0.52 1.20":                   "?",
		"":                            "?",
	} {
		if got := loadAverage(text); got != want {
			t.Errorf("loadAverage(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestCPUInfoAndFields(t *testing.T) {
	cpuinfo := "processor\t: 0\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\nmodel name\t: Other\n"
	if n, model := cpuInfo(cpuinfo); n != 2 || model != "AMD EPYC" {
		t.Errorf("cpuInfo = %d, %q; want 2, AMD EPYC", n, model)
	}
	meminfo := "MemTotal:       24641536 kB\nMemFree:         1000 kB\n"
	status := "Name:\tbench\nVmHWM:\t  115000 kB\nVmRSS:\t   70000 kB\n"
	tests := []struct {
		text, name string
		want       int64
		ok         bool
	}{
		{meminfo, "MemTotal", 24641536, true},
		{meminfo, "MemFree", 1000, true},
		{status, "VmHWM", 115000, true},
		{status, "VmRSS", 70000, true},
		{status, "VmSwap", 0, false},
		{status, "Name", 0, false}, // not a number
	}
	for _, tt := range tests {
		if got, ok := field(tt.text, tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("field(%s) = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReadsThisMachine(t *testing.T) {
	if _, ok := MachineBusy(); !ok {
		t.Error("no busy time from /proc/stat")
	}
	if v, ok := StatusKB(0, "VmRSS"); !ok || v <= 0 {
		t.Errorf("VmRSS of this process = %d, %v", v, ok)
	}
	if m := ReadMachine(); m.Processors < 1 || m.MemoryKB <= 0 {
		t.Errorf("machine = %+v", m)
	}
}
