package importer

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

// The shipped mappings. importer/presets holds the canonical copies; docs/examples links
// to them, so the CLI examples, the docs and the console's presets are the same files.
//
//go:embed presets/*.json
var presetFS embed.FS

// Preset is a shipped mapping, offered by name (the console's import page, the HTTP API).
type Preset struct {
	// Name is the file name without ".json", e.g. "online_retail".
	Name string `json:"name"`
	// JSON is the mapping file as shipped, for a person to read and edit.
	JSON string `json:"mapping"`
}

// Presets returns the shipped mappings, sorted by name.
func Presets() []Preset {
	ents, err := presetFS.ReadDir("presets")
	if err != nil {
		panic("BUG: cannot read embedded presets: " + err.Error())
	}
	var out []Preset
	for _, e := range ents {
		b, err := presetFS.ReadFile("presets/" + e.Name())
		if err != nil {
			panic("BUG: cannot read embedded preset: " + err.Error())
		}
		out = append(out, Preset{Name: strings.TrimSuffix(e.Name(), ".json"), JSON: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PresetMapping returns the validated mapping of the shipped preset name. The result is
// the caller's to change.
func PresetMapping(name string) (*Mapping, error) {
	for _, p := range Presets() {
		if p.Name == name {
			m, err := ParseMapping([]byte(p.JSON))
			if err != nil {
				panic("BUG: shipped preset " + name + " is invalid: " + err.Error())
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("cannot find mapping preset %q", name)
}
