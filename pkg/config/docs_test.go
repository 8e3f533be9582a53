package config_test

import (
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/config"
)

func TestSplitDoc(t *testing.T) {
	const (
		start = "<!-- config:svc:start -->"
		end   = "<!-- config:svc:end -->"
	)
	tests := []struct {
		name        string
		doc         string
		wantSection string
		wantErr     bool
	}{
		{"section", "# Title\n" + start + "\n| a |\n" + end + "\ntail\n", "| a |\n", false},
		{"empty section", "x " + start + "\n" + end + " y", "", false},
		{"other name only", "<!-- config:other:start -->\n<!-- config:other:end -->", "", true},
		{"no end", start + "\n| a |\n", "", true},
		{"end before start", end + "\n" + start, "", true},
		{"no markers", "plain text", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			section, replace, err := config.SplitDoc(tt.doc, "svc")
			if (err != nil) != tt.wantErr {
				t.Fatalf("SplitDoc error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), start) {
					t.Errorf("error %q does not name the missing marker", err)
				}
				return
			}
			if section != tt.wantSection {
				t.Errorf("section = %q, want %q", section, tt.wantSection)
			}
			if got := replace(section); got != tt.doc {
				t.Errorf("replace(section) = %q, want the document unchanged %q", got, tt.doc)
			}
			const table = "| new |\n"
			got := replace(table)
			if again, _, err := config.SplitDoc(got, "svc"); err != nil || again != table {
				t.Errorf("after replace, section = %q (%v), want %q", again, err, table)
			}
			if i := strings.Index(tt.doc, start); !strings.HasPrefix(got, tt.doc[:i]) {
				t.Errorf("replace changed the text before the section: %q", got)
			}
			if j := strings.Index(tt.doc, end); !strings.HasSuffix(got, tt.doc[j:]) {
				t.Errorf("replace changed the text after the section: %q", got)
			}
		})
	}
}
