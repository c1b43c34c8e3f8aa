// Command kcreg-gen-sdk writes a Pulumi package's Python or Go SDK from its schema with Pulumi's own
// code generators (pkg/v3/codegen at the CLI's version): the code `pulumi package gen-sdk` runs
// inside Pulumi's language hosts, which the Go module proxy does not serve here. Built and cached by
// test/bed/sdkCodegen.ts; run it through `npm run sdk`.
//
//	kcreg-gen-sdk <schema.json> <python|go> <out dir>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: kcreg-gen-sdk <schema.json> <python|go> <out dir>")
		os.Exit(2)
	}
	schemaPath, language, out := os.Args[1], os.Args[2], os.Args[3]
	if err := generate(schemaPath, language, out); err != nil {
		fmt.Fprintf(os.Stderr, "kcreg-gen-sdk: %v\n", err)
		os.Exit(1)
	}
}

func generate(schemaPath, language, out string) error {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s does not bind: %v", schemaPath, diags)
	}
	var files map[string][]byte
	switch language {
	case "python":
		// The tool names are the language hosts', so the headers match `pulumi package gen-sdk`'s.
		files, err = python.GeneratePackage("pulumi-language-python", pkg, map[string][]byte{}, noPackages{})
	case "go":
		files, err = gogen.GeneratePackage("pulumi-language-go", pkg, nil)
	default:
		return fmt.Errorf("language %q: this tool generates python and go", language)
	}
	if err != nil {
		return err
	}
	return writeTree(out, files)
}

// writeTree replaces out with exactly the generated files, as the CLI does.
func writeTree(out string, files map[string][]byte) error {
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for name, content := range files {
		p := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noPackages is the loader: the package references no other package's types, so any lookup is a
// mistake in the schema.
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q; it may refer only to its own types", pkg)
}

func (l noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

func (noPackages) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema refers to package %q; it may refer only to its own types", pkg)
}

func (l noPackages) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}
