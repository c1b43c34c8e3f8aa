// Command kcreg-gen-program turns PCL into a TypeScript program with Pulumi's Node.js program
// generator (pkg/v3/codegen/nodejs at the CLI's version): what Pulumi's Node.js language host does
// when the CLI asks it for GenerateProgram (`pulumi import` prints the declaration it returns). The
// test bed's own Node.js host (scripts/engine/language-host.js) runs it; test/bed/programCodegen.ts
// builds and caches it.
//
//	kcreg-gen-program <loader target> [strict]
//
// stdin: the PCL files as JSON, {"<name>.pp": "<text>", ...}; stdout: {"files": {"<name>": "<base64>"},
// "diagnostics": [{"severity": "error"|"warning", "summary", "detail", "subject"}]}. Files are absent
// when a diagnostic is an error.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pulumi/pulumi/pkg/v3/codegen/hcl2/syntax"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	Subject  string `json:"subject,omitempty"`
}

type result struct {
	Files       map[string][]byte `json:"files,omitempty"`
	Diagnostics []diagnostic      `json:"diagnostics"`
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 || (len(os.Args) == 3 && os.Args[2] != "strict") {
		fmt.Fprintln(os.Stderr, "usage: kcreg-gen-program <loader target> [strict] < {\"main.pp\": \"...\"}")
		os.Exit(2)
	}
	res, err := generate(os.Args[1], len(os.Args) == 3, os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kcreg-gen-program: %v\n", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintf(os.Stderr, "kcreg-gen-program: %v\n", err)
		os.Exit(1)
	}
}

func generate(loaderTarget string, strict bool, in io.Reader) (*result, error) {
	var source map[string]string
	if err := json.NewDecoder(in).Decode(&source); err != nil {
		return nil, fmt.Errorf("reading the PCL files from stdin: %w", err)
	}
	loader, err := schema.NewLoaderClient(loaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	names := make([]string, 0, len(source))
	for name := range source {
		names = append(names, name)
	}
	sort.Strings(names)
	parser := syntax.NewParser()
	for _, name := range names {
		if err := parser.ParseFile(strings.NewReader(source[name]), name); err != nil {
			return nil, err
		}
	}
	res := &result{Diagnostics: []diagnostic{}}
	if parser.Diagnostics.HasErrors() {
		res.Diagnostics = convert(parser.Diagnostics)
		return res, nil
	}

	// As Pulumi's Node.js host binds: the engine's schema loader, output-versioned invokes, and the
	// non-strict options unless the CLI asks for strict binding.
	options := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !strict {
		options = append(options, pcl.NonStrictBindOptions()...)
	}
	program, diags, err := pcl.BindProgram(parser.Files, schema.NewCachedLoader(loader), options...)
	if err != nil {
		return nil, err
	}
	res.Diagnostics = convert(diags)
	if diags.HasErrors() {
		return res, nil
	}
	files, genDiags, err := nodejs.GenerateProgram(program)
	if err != nil {
		return nil, err
	}
	res.Diagnostics = append(res.Diagnostics, convert(genDiags)...)
	if genDiags.HasErrors() {
		return res, nil
	}
	res.Files = files
	return res, nil
}

func convert(diags hcl.Diagnostics) []diagnostic {
	out := []diagnostic{}
	for _, d := range diags {
		severity := "warning"
		if d.Severity == hcl.DiagError {
			severity = "error"
		}
		subject := ""
		if d.Subject != nil {
			subject = d.Subject.String()
		}
		out = append(out, diagnostic{Severity: severity, Summary: d.Summary, Detail: d.Detail, Subject: subject})
	}
	return out
}
