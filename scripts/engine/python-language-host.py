#!/usr/bin/env python3
# pulumi-language-python for the test bed: a language host for Python programs, because Pulumi's own
# (a Go module) is not available from the module proxy here. The `pulumi` Python SDK from PyPI is.
#
# Two modes in one file:
# - host (default): the LanguageRuntime gRPC service the engine starts with `-root=<dir> <engine address>`
#   and reads the port from our first line of stdout. It runs under the interpreter of the test bed's
#   virtualenv (which holds grpcio and the SDK's generated stubs), see test/bed/pythonHost.ts.
# - `--kcreg-run-program ...`: the program runner, started by the host under the *program's* interpreter
#   (the project's `virtualenv` option, else PULUMI_PYTHON_CMD, else python3 on PATH), as Pulumi's own
#   host starts its runner: settings from the flags, config from PULUMI_CONFIG, the program inside
#   `pulumi.runtime.run_in_stack`, exit 32 when the error was already reported to the user.
#
# Not implemented (the engine does not call them for up/preview/refresh/destroy/import): RunPlugin,
# Template, GenerateProgram, GenerateProject, GeneratePackage, Pack, Link (UNIMPLEMENTED).
#
# Debugging: KCREG_LANGHOST_LOG=<file> appends one line per RPC and per spawned program (never values).
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

EXIT_CODE_BAIL = 32  # "already showed the user an actionable message": the engine adds nothing
RUN_FLAG = "--kcreg-run-program"


def debug(msg):
    log_file = os.environ.get("KCREG_LANGHOST_LOG")
    if not log_file:
        return
    try:
        with open(log_file, "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} [python langhost {os.getpid()}] {msg}\n")
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------------------
# Program runner (under the program's interpreter).


def run_program(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="pulumi-language-python-exec")
    parser.add_argument("--monitor", required=True)
    parser.add_argument("--engine", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--pwd", required=True)
    parser.add_argument("--root-directory", default=None)
    parser.add_argument("--organization", default=None)
    parser.add_argument("--parallel", type=int, default=None)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("program")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    try:
        import asyncio
        import runpy
        import traceback

        import grpc
        import pulumi
        import pulumi.runtime
    except ImportError as e:
        sys.stderr.write(
            f"The Pulumi SDK is not installed for {sys.executable} ({e}). "
            "Install it in the program's virtualenv: pip install pulumi\n"
        )
        return 1

    os.chdir(args.pwd)
    program = os.path.join(args.pwd, args.program)
    program_dir = program if os.path.isdir(program) else os.path.dirname(program)
    # As `python program.py` would: the program's own modules import by name.
    sys.path.insert(0, program_dir)
    sys.argv = [program, *args.args]

    pulumi.runtime.configure(
        pulumi.runtime.Settings(
            project=args.project,
            stack=args.stack,
            monitor=args.monitor,
            engine=args.engine,
            parallel=args.parallel,
            dry_run=args.dry_run,
            organization=args.organization,
            root_directory=args.root_directory,
        )
    )

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    ok = False
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(lambda: runpy.run_path(program, run_name="__main__")))
        ok = True
    except pulumi.RunError as e:
        pulumi.log.error(str(e))
    except grpc.RpcError as e:
        # The monitor went away: the engine stopped the update and said why.
        if e.code() != grpc.StatusCode.UNAVAILABLE:  # pylint: disable=no-member
            pulumi.log.error(f"Program failed: {e}")
    except Exception:  # noqa: BLE001 - anything the program raised is the user's to see
        pulumi.log.error("Program failed with an unhandled exception:\n" + traceback.format_exc())
    finally:
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return 0 if ok else EXIT_CODE_BAIL


# ---------------------------------------------------------------------------------------------------------
# Host.


def parse_go_flags(argv):
    """Go-style flags (-name=value, -name value) then the engine address."""
    value_flags = {"tracing", "root", "virtualenv", "typechecker", "toolchain", "v"}
    flags, positional = {}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and len(a) > 1:
            name, eq, value = a.lstrip("-").partition("=")
            if eq:
                flags[name] = value
            elif name in value_flags and i + 1 < len(argv):
                i += 1
                flags[name] = argv[i]
            else:
                flags[name] = "true"
        else:
            positional.append(a)
        i += 1
    return flags, positional


# Prints what the program's interpreter has installed: packages (for GetProgramDependencies) and the
# Pulumi plugins its packages declare in pulumi-plugin.json (for GetRequiredPackages).
INSPECT = r"""
import glob, importlib.metadata as md, json, os, site, sys
dirs = list(dict.fromkeys(site.getsitepackages() + [site.getusersitepackages()] + sys.path))
plugins = []
for d in dirs:
    for f in sorted(glob.glob(os.path.join(d, "*", "pulumi-plugin.json"))):
        try:
            with open(f, encoding="utf-8") as fh:
                p = json.load(fh)
        except (OSError, ValueError):
            continue
        if p.get("resource"):
            plugins.append({"name": p.get("name") or "", "version": p.get("version") or "", "server": p.get("server") or ""})
dists = sorted({(d.metadata["Name"], d.version) for d in md.distributions() if d.metadata["Name"]})
print(json.dumps({"plugins": plugins, "packages": [{"name": n, "version": v} for n, v in dists]}))
"""


class Host:
    def __init__(self, flags, engine_address):
        import grpc
        from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

        self.grpc = grpc
        self.lang = language_pb2
        self.plugin = plugin_pb2
        self.base = language_pb2_grpc.LanguageRuntimeServicer
        self.flags = flags
        self.engine_address = engine_address
        self.children = set()
        self.lock = threading.Lock()
        self.watching = False

    # -- helpers --------------------------------------------------------------------------------------
    @staticmethod
    def program_info(req):
        info = req.info if req.HasField("info") else None
        options = {}
        if info is not None and info.HasField("options"):
            from google.protobuf.json_format import MessageToDict

            options = MessageToDict(info.options)
        program_dir = (info and info.program_directory) or getattr(req, "pwd", "") or os.getcwd()
        root_dir = (info and info.root_directory) or program_dir
        entry = (info and info.entry_point) or getattr(req, "program", "") or "."
        return program_dir, root_dir, entry, options

    def interpreter(self, root_dir, options):
        """The program's Python and the environment that selects it, as Pulumi's host chooses it."""
        env = dict(os.environ)
        cmd = os.environ.get("PULUMI_PYTHON_CMD")
        venv = options.get("virtualenv") or self.flags.get("virtualenv")
        if venv:
            venv = venv if os.path.isabs(venv) else os.path.join(root_dir, venv)
            python = os.path.join(venv, "bin", "python")
            if not os.path.exists(python):
                raise FileNotFoundError(
                    f"The virtual environment {venv} does not exist: create it with `python3 -m venv {venv}` "
                    f"and install the program's requirements into it (`{venv}/bin/pip install -r requirements.txt`)"
                )
            env["VIRTUAL_ENV"] = venv
            env["PATH"] = os.pathsep.join([os.path.join(venv, "bin"), env.get("PATH", "")])
            env.pop("PYTHONHOME", None)
            return python, env
        if cmd:
            return cmd, env
        for name in ("python3", "python"):
            for d in env.get("PATH", "").split(os.pathsep):
                p = os.path.join(d, name)
                if d and os.access(p, os.X_OK) and os.path.isfile(p):
                    return p, env
        raise FileNotFoundError("no python3 or python on PATH (or set PULUMI_PYTHON_CMD)")

    def inspect(self, req):
        _, root_dir, _, options = self.program_info(req)
        python, env = self.interpreter(root_dir, options)
        out = subprocess.run([python, "-c", INSPECT], env=env, capture_output=True, text=True, timeout=120, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"could not list the packages of {python}: {out.stderr.strip()}")
        return json.loads(out.stdout)

    def kill_children(self, sig):
        with self.lock:
            children = list(self.children)
        for child in children:
            try:
                child.send_signal(sig)
            except OSError:
                pass

    def watch_engine(self):
        """Exit when the engine is gone (e.g. the CLI killed with SIGKILL), taking the program with us."""
        if self.watching or not self.engine_address or ":" not in self.engine_address:
            return
        self.watching = True
        host, _, port = self.engine_address.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"

        def loop():
            failures = 0
            while True:
                time.sleep(1)
                try:
                    socket.create_connection((host, int(port)), timeout=2).close()
                    failures = 0
                except OSError:
                    failures += 1
                if failures >= 3:
                    debug(f"engine {self.engine_address} is gone; exiting")
                    self.kill_children(signal.SIGKILL)
                    os._exit(1)

        threading.Thread(target=loop, daemon=True).start()

    # -- the service ----------------------------------------------------------------------------------
    def servicer(self):
        host = self
        lang, plugin = self.lang, self.plugin

        def rpc(fn):
            def wrapper(_self, request, context):
                debug(f"{fn.__name__}")
                try:
                    return fn(request, context)
                except Exception as e:  # noqa: BLE001 - every failure becomes a gRPC error the engine shows
                    debug(f"{fn.__name__} failed: {e!r}")
                    context.abort(host.grpc.StatusCode.UNKNOWN, str(e))

            return wrapper

        def handshake(req, _ctx):
            if req.engine_address:
                host.engine_address = req.engine_address
                host.watch_engine()
            return lang.LanguageHandshakeResponse()

        def get_plugin_info(_req, _ctx):
            from pulumi._version import _VERSION

            return plugin.PluginInfo(version=str(_VERSION))

        def get_required_plugins(req, _ctx):
            found = host.inspect(req)["plugins"]
            return lang.GetRequiredPluginsResponse(
                plugins=[plugin.PluginDependency(name=p["name"], kind="resource", version=p["version"], server=p["server"]) for p in found]
            )

        def get_required_packages(req, _ctx):
            found = host.inspect(req)["plugins"]
            return lang.GetRequiredPackagesResponse(
                packages=[plugin.PackageDependency(name=p["name"], kind="resource", version=p["version"], server=p["server"]) for p in found]
            )

        def get_program_dependencies(req, _ctx):
            found = host.inspect(req)["packages"]
            return lang.GetProgramDependenciesResponse(dependencies=[lang.DependencyInfo(name=p["name"], version=p["version"]) for p in found])

        def run(req, _ctx):
            program_dir, root_dir, entry, options = host.program_info(req)
            try:
                python, env = host.interpreter(root_dir, options)
            except FileNotFoundError as e:
                return lang.RunResponse(error=str(e))
            env["PULUMI_CONFIG"] = json.dumps(dict(req.config))
            env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(req.configSecretKeys))
            argv = [python, "-u", os.path.abspath(__file__), RUN_FLAG]
            for flag, value in (
                ("--monitor", req.monitor_address),
                ("--engine", host.engine_address),
                ("--project", req.project),
                ("--stack", req.stack),
                ("--pwd", program_dir),
                ("--root-directory", root_dir),
                ("--organization", req.organization),
                ("--parallel", str(req.parallel)),
            ):
                if value:
                    argv += [flag, value]
            if req.dryRun:
                argv.append("--dry-run")
            argv += [entry, *req.args]
            debug(f"spawn {python} (cwd {program_dir}, entry {entry})")
            try:
                # The program writes straight into the pipes the engine reads from us.
                child = subprocess.Popen(argv, cwd=program_dir, env=env, stdin=subprocess.DEVNULL)
            except OSError as e:
                return lang.RunResponse(error=f"Problem executing program (could not run language executor): {e}")
            with host.lock:
                host.children.add(child)
            code = child.wait()
            with host.lock:
                host.children.discard(child)
            debug(f"program exited {code}")
            if code == 0:
                return lang.RunResponse()
            if code == EXIT_CODE_BAIL:
                return lang.RunResponse(bail=True)
            if code < 0:
                return lang.RunResponse(error=f"Program exited unexpectedly: killed by signal {-code}")
            return lang.RunResponse(error=f"Program exited with non-zero exit code: {code}")

        def install_dependencies(req, _ctx):
            # The test bed provisions the virtualenv (test/bed/pythonHost.ts): nothing to stream.
            debug("InstallDependencies")
            return iter(())

        def runtime_options_prompts(_req, _ctx):
            return lang.RuntimeOptionsResponse()

        def about(req, _ctx):
            try:
                _, root_dir, _, options = host.program_info(req)
                python, env = host.interpreter(root_dir, options)
                version = subprocess.run([python, "--version"], env=env, capture_output=True, text=True, check=False).stdout.strip()
            except (FileNotFoundError, OSError):
                python, version = sys.executable, sys.version.split()[0]
            return lang.AboutResponse(executable=python, version=version.replace("Python ", ""))

        def cancel(_req, _ctx):
            from google.protobuf import empty_pb2

            # The program sees its monitor go away; give it a moment, then stop it.
            threading.Timer(5.0, host.kill_children, args=(signal.SIGTERM,)).start()
            return empty_pb2.Empty()

        methods = {
            "Handshake": handshake,
            "GetPluginInfo": get_plugin_info,
            "GetRequiredPlugins": get_required_plugins,
            "GetRequiredPackages": get_required_packages,
            "GetProgramDependencies": get_program_dependencies,
            "Run": run,
            "RuntimeOptionsPrompts": runtime_options_prompts,
            "About": about,
            "Cancel": cancel,
        }
        attrs = {name: rpc(fn) for name, fn in methods.items()}
        attrs["InstallDependencies"] = lambda _self, req, ctx: install_dependencies(req, ctx)
        return type("PythonLanguageRuntime", (self.base,), attrs)()


def serve(argv):
    from concurrent import futures

    import grpc
    from pulumi.runtime.proto import language_pb2_grpc

    flags, positional = parse_go_flags(argv)
    host = Host(flags, positional[0] if positional else "")
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host.servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    debug(f"listening on {port}; argv={argv} cwd={os.getcwd()}")
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    host.watch_engine()

    def stop(signum, _frame):
        # The engine stops its plugins with SIGINT after a Cancel and kills them a few seconds later.
        debug(f"received signal {signum}")
        host.kill_children(signal.SIGKILL)
        os._exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.wait_for_termination()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == RUN_FLAG:
        sys.exit(run_program(sys.argv[2:]))
    serve(sys.argv[1:])
