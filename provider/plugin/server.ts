import * as grpc from "@grpc/grpc-js";
import { AsyncLocalStorage } from "node:async_hooks";
import { Any } from "google-protobuf/google/protobuf/any_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { LogRequest, LogSeverity } from "@pulumi/pulumi/proto/engine_pb";
import { PluginAttach, PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import { IResourceProviderServer, ResourceProviderService } from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as proto from "@pulumi/pulumi/proto/provider_pb";
import { Status } from "@pulumi/pulumi/proto/status_pb";
import { keycloakClientKind } from "../dynamic/kinds/keycloakClient";
import { oidcClientKind } from "../dynamic/kinds/oidcClient";
import { samlClientKind } from "../dynamic/kinds/samlClient";
import { BaseInputs, clientProvider, ClientProvider, hasPartialState, PROVIDER_KEY, surfaced } from "../dynamic/lifecycle";
import { OWNER_KEY } from "../dynamic/ownership";
import { settingsFrom } from "../dynamic/settings";
import { warningSink } from "../dynamic/warnings";
import { redact } from "../registration/redact";
import { ConfigKey } from "../schema/connection";
import { withoutPrintedCredentials } from "../schema/issues";
import { checkConfig, configLookup, configValues, SECRET_CONFIG_KEYS } from "./config";
import { ChangeKind, detailedDiff } from "./diff";
import { keycloakClientOutputs, oidcClientOutputs, OutputDeclaration, samlClientOutputs } from "./outputs";
import { fromStruct, isSecret, Props, toStruct, UNKNOWN, unwrapSecrets, withSecrets } from "./properties";
import { PACKAGE, secretsOf } from "./schema";

/**
 * Pulumi's resource-provider protocol (provider.proto) for KeycloakClient, OidcClient and SamlClient,
 * served over the SAME lifecycle core as the dynamic provider (`clientProvider(kind)`): this file only
 * translates the wire format (secrets, unknowns, URNs, partial state) and never decides anything
 * about a client itself.
 */

type KindName = "KeycloakClient" | "OidcClient" | "SamlClient";
type AnyProvider = ClientProvider<BaseInputs, object>;

const KINDS = { KeycloakClient: keycloakClientKind, OidcClient: oidcClientKind, SamlClient: samlClientKind };
const OUTPUTS: Record<KindName, OutputDeclaration> = { KeycloakClient: keycloakClientOutputs, OidcClient: oidcClientOutputs, SamlClient: samlClientOutputs };

export interface PluginOptions {
  /** The package schema (schema.json) served by GetSchema. */
  schema: string;
  version: string;
  /** The engine's address, when the command line gave it (warnings go to its Log service). */
  engineAddress?: string;
}

/** The parts of a URN `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function parseUrn(urn: string): { stack: string; project: string; type: string; name: string } {
  const m = /^urn:pulumi:(.*?)::(.*?)::(.*?)::(.*)$/s.exec(urn);
  if (!m) throw new Error(`not a Pulumi URN: ${urn}`);
  // A resource with a parent has the parent's type chain before its own, joined by "$".
  return { stack: m[1]!, project: m[2]!, type: m[3]!.split("$").pop()!, name: m[4]! };
}

/** The ownership marker's source the dynamic resource classes pass: "<project>/<stack>/<Kind>/<name>". */
export function ownerFromUrn(urn: string): string {
  const u = parseUrn(urn);
  return `${u.project}/${u.stack}/${kindName(u.type)}/${u.name}`;
}

function kindName(type: string): KindName {
  const m = new RegExp(`^${PACKAGE}:index:(KeycloakClient|OidcClient|SamlClient)$`).exec(type);
  if (!m) throw new Error(`unknown resource type ${type}: this provider manages ${Object.keys(KINDS).map((k) => `${PACKAGE}:index:${k}`).join(", ")}`);
  return m[1] as KindName;
}

/** A gRPC error with a token-free message; partial state travels as ErrorResourceInitFailed. */
function grpcError(e: unknown, inputs?: Props): Partial<grpc.StatusObject> {
  const error = surfaced(e);
  const message = redact(error.message);
  const metadata = new grpc.Metadata();
  if (hasPartialState(error)) {
    const detail = new proto.ErrorResourceInitFailed();
    detail.setId(error.id);
    detail.setProperties(toStruct(error.properties));
    detail.setReasonsList(error.reasons.map(redact));
    if (inputs) detail.setInputs(toStruct(inputs));
    const any = new Any();
    any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message);
    status.addDetails(any);
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
  }
  return { code: grpc.status.UNKNOWN, details: message, metadata };
}

const PROPERTY_DIFF_KIND: Record<ChangeKind, proto.PropertyDiff.Kind> = {
  add: proto.PropertyDiff.Kind.ADD,
  addReplace: proto.PropertyDiff.Kind.ADD_REPLACE,
  delete: proto.PropertyDiff.Kind.DELETE,
  deleteReplace: proto.PropertyDiff.Kind.DELETE_REPLACE,
  update: proto.PropertyDiff.Kind.UPDATE,
  updateReplace: proto.PropertyDiff.Kind.UPDATE_REPLACE,
};

function setDetailedDiff(resp: proto.DiffResponse, diffs: Record<string, ChangeKind>): void {
  const map = resp.getDetaileddiffMap();
  for (const [field, kind] of Object.entries(diffs)) {
    const d = new proto.PropertyDiff();
    d.setKind(PROPERTY_DIFF_KIND[kind]);
    d.setInputdiff(true);
    map.set(field, d);
  }
  resp.setDiffsList([...new Set(Object.keys(diffs).map((f) => f.split(/[.[]/)[0]!))]);
  resp.setHasdetaileddiff(true);
}

/** A unary handler: runs `fn` with the request's URN known to the warning sink, answers its result or its error. */
function unary<Req, Res>(fn: (req: Req) => Promise<Res>, errorInputs?: (req: Req) => Props | undefined, urnOf?: (req: Req) => string): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const req = call.request;
    currentUrn.run(urnOf?.(req) ?? "", () =>
      fn(req).then(
        (res) => callback(null, res),
        (e: unknown) => callback(grpcError(e, errorInputs?.(req))),
      ),
    );
  };
}

const currentUrn = new AsyncLocalStorage<string>();

export class KeycloakRegistrationProvider {
  private lookup: (key: ConfigKey) => string | undefined = () => undefined;
  private providers: Record<KindName, AnyProvider>;
  private engine: EngineClient | undefined;

  constructor(private readonly opts: PluginOptions) {
    this.providers = this.build();
    if (opts.engineAddress) this.connectEngine(opts.engineAddress);
    // Warnings (server overrides) go to the engine's diagnostics, on the resource they concern.
    warningSink.sink = (message) => this.log(LogSeverity.WARNING, message, currentUrn.getStore() ?? "");
  }

  private build(): Record<KindName, AnyProvider> {
    const settings = settingsFrom(this.lookup);
    return {
      KeycloakClient: clientProvider(KINDS.KeycloakClient, settings) as unknown as AnyProvider,
      OidcClient: clientProvider(KINDS.OidcClient, settings) as unknown as AnyProvider,
      SamlClient: clientProvider(KINDS.SamlClient, settings) as unknown as AnyProvider,
    };
  }

  private connectEngine(address: string): void {
    this.engine?.close();
    this.engine = new EngineClient(address, grpc.credentials.createInsecure());
  }

  private log(severity: LogSeverity, message: string, urn: string): void {
    const text = redact(message);
    if (!this.engine) {
      process.stderr.write(`${text}\n`);
      return;
    }
    const req = new LogRequest();
    req.setSeverity(severity);
    req.setMessage(text);
    req.setUrn(urn);
    this.engine.log(req, (err) => {
      if (err) process.stderr.write(`${text}\n`);
    });
  }

  /** A kind's checked inputs: the provider configuration's serverUrl and realm where the program gives none. */
  private withLocation(kind: KindName, news: Props): Props {
    if (kind === "OidcClient" && news.registrationEndpoint !== undefined) return news;
    const out = { ...news };
    for (const key of ["serverUrl", "realm"] as const) {
      const configured = this.lookup(key);
      if (out[key] === undefined && configured !== undefined) out[key] = configured;
    }
    return out;
  }

  /** Outputs on the wire: the kind's secret outputs (and any input that came in secret) marked secret. */
  private outputs(kind: KindName, state: object, like: Props = {}): Props {
    const { [PROVIDER_KEY]: _p, [OWNER_KEY]: _o, ...plain } = state as Props;
    return withSecrets(plain, OUTPUTS[kind].secret, like);
  }

  /** Runs a write; partial state on its error is checkpointed by the engine, so its secrets are marked like any outputs. */
  private async withSecretPartialState<T>(kind: KindName, like: Props, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (hasPartialState(e)) e.properties = this.outputs(kind, e.properties, like);
      throw e;
    }
  }

  /** What a preview shows for a create or update: the declaration, and unknowns for what only the server knows. */
  private previewOutputs(kind: KindName, inputs: Props, olds: Props = {}): Props {
    const decl = OUTPUTS[kind];
    const out: Props = { ...olds };
    for (const [k, v] of Object.entries(inputs)) if (!decl.inputOnly.includes(k)) out[k] = v;
    for (const k of [...Object.keys(decl.fields.shape), ...decl.requiredInputs]) {
      // A create learns every server-assigned value; an update learns a new token (and maybe a secret).
      const rotates = k === "registrationAccessToken" || k === "registration_access_token";
      if (out[k] === undefined || (Object.keys(olds).length > 0 && rotates)) out[k] = UNKNOWN;
    }
    return this.outputs(kind, out);
  }

  service(): IResourceProviderServer {
    const urnOfCheck = (r: proto.CheckRequest | proto.DiffRequest | proto.CreateRequest | proto.ReadRequest | proto.UpdateRequest | proto.DeleteRequest) => r.getUrn();
    return {
      handshake: unary(async (req: proto.ProviderHandshakeRequest) => {
        if (req.getEngineAddress()) this.connectEngine(req.getEngineAddress());
        const res = new proto.ProviderHandshakeResponse();
        res.setAcceptSecrets(true);
        res.setAcceptResources(false);
        res.setAcceptOutputs(false);
        res.setSupportsAutonamingConfiguration(false);
        return res;
      }),

      getPluginInfo: unary(async () => new PluginInfo().setVersion(this.opts.version)),

      getSchema: unary(async (req: proto.GetSchemaRequest) => {
        if (req.getSubpackageName()) throw new Error(`${PACKAGE} has no subpackage ${req.getSubpackageName()}`);
        return new proto.GetSchemaResponse().setSchema(this.opts.schema);
      }),

      attach: unary(async (req: PluginAttach) => {
        this.connectEngine(req.getAddress());
        return new Empty();
      }),

      checkConfig: unary(async (req: proto.CheckRequest) => {
        const news = fromStruct(req.getNews());
        const res = new proto.CheckResponse();
        // Pulumi 3.276 sends CheckConfig its values with their secrecy removed, so every value counts as plain here.
        for (const p of withoutPrintedCredentials(checkConfig(configValues(news)), unwrapSecrets(news), (k) => isSecret(news[k]))) {
          res.addFailures(new proto.CheckFailure().setProperty(p.property).setReason(p.reason));
        }
        // Credentials are secret in the provider's state however they were set.
        res.setInputs(toStruct(withSecrets(news, SECRET_CONFIG_KEYS, news)));
        return res;
      }),

      diffConfig: unary(async (req: proto.DiffRequest) => {
        const olds = configValues(fromStruct(req.getOldInputs() ?? req.getOlds()));
        const news = configValues(fromStruct(req.getNews()));
        const diffs: Record<string, ChangeKind> = {};
        for (const key of new Set([...Object.keys(olds), ...Object.keys(news)])) {
          if (JSON.stringify(olds[key]) === JSON.stringify(news[key])) continue;
          diffs[key] = olds[key] === undefined ? "add" : news[key] === undefined ? "delete" : "update";
        }
        const res = new proto.DiffResponse();
        // Settings, not identity: no configuration change replaces a client.
        res.setChanges(Object.keys(diffs).length > 0 ? proto.DiffResponse.DiffChanges.DIFF_SOME : proto.DiffResponse.DiffChanges.DIFF_NONE);
        setDetailedDiff(res, diffs);
        return res;
      }),

      configure: unary(async (req: proto.ConfigureRequest) => {
        this.lookup = configLookup(fromStruct(req.getArgs()), Object.fromEntries(req.getVariablesMap().toObject()));
        this.providers = this.build();
        const res = new proto.ConfigureResponse();
        res.setAcceptsecrets(true);
        res.setSupportspreview(true);
        res.setAcceptresources(false);
        res.setAcceptoutputs(false);
        return res;
      }),

      check: unary(
        async (req: proto.CheckRequest) => {
          const kind = kindName(req.getType() || parseUrn(req.getUrn()).type);
          const raw = fromStruct(req.getNews());
          const news = this.withLocation(kind, unwrapSecrets(raw));
          const result = await this.providers[kind].check(unwrapSecrets(fromStruct(req.getOlds())) as BaseInputs, news as BaseInputs);
          const res = new proto.CheckResponse();
          // The engine prints a failure's property value as the program sent it: plain unless the program made it secret.
          for (const f of withoutPrintedCredentials(result.failures ?? [], unwrapSecrets(raw), (k) => isSecret(raw[k]))) {
            res.addFailures(new proto.CheckFailure().setProperty(f.property).setReason(redact(f.reason)));
          }
          if (result.inputs) {
            const { [PROVIDER_KEY]: _p, [OWNER_KEY]: _o, ...inputs } = result.inputs as Props;
            res.setInputs(toStruct(withSecrets(inputs, secretsOf(kind).inputs, raw)));
          }
          return res;
        },
        undefined,
        urnOfCheck,
      ),

      diff: unary(
        async (req: proto.DiffRequest) => {
          const kind = kindName(req.getType() || parseUrn(req.getUrn()).type);
          const olds = unwrapSecrets(fromStruct(req.getOlds()));
          const news = unwrapSecrets(fromStruct(req.getNews()));
          const decision = await this.providers[kind].diff(req.getId(), olds as object, news as BaseInputs);
          const res = new proto.DiffResponse();
          res.setChanges(decision.changes ? proto.DiffResponse.DiffChanges.DIFF_SOME : proto.DiffResponse.DiffChanges.DIFF_NONE);
          res.setReplacesList(decision.replaces ?? []);
          res.setDeletebeforereplace(Boolean(decision.deleteBeforeReplace));
          if (decision.changes) setDetailedDiff(res, detailedDiff(kind, olds, news, decision));
          else res.setHasdetaileddiff(true);
          return res;
        },
        undefined,
        urnOfCheck,
      ),

      create: unary(
        async (req: proto.CreateRequest) => {
          const urn = req.getUrn();
          const kind = kindName(req.getType() || parseUrn(urn).type);
          const inputs = unwrapSecrets(fromStruct(req.getProperties()));
          const res = new proto.CreateResponse();
          if (req.getPreview()) return res.setProperties(toStruct(this.previewOutputs(kind, inputs)));
          const created = await this.withSecretPartialState(kind, fromStruct(req.getProperties()), () =>
            this.providers[kind].create({ ...inputs, [OWNER_KEY]: ownerFromUrn(urn) } as BaseInputs),
          );
          res.setId(created.id);
          res.setProperties(toStruct(this.outputs(kind, created.outs ?? {}, fromStruct(req.getProperties()))));
          return res;
        },
        (req) => fromStruct(req.getProperties()),
        urnOfCheck,
      ),

      read: unary(
        async (req: proto.ReadRequest) => {
          const kind = kindName(req.getType() || parseUrn(req.getUrn()).type);
          const props = unwrapSecrets(fromStruct(req.getProperties()));
          const inputs = fromStruct(req.getInputs());
          const res = new proto.ReadResponse();
          if (Object.keys(props).length === 0) {
            // `pulumi import <type> <name> <clientId>`: adopt the client with the recovery account.
            const imported = await this.providers[kind].importClient({ serverUrl: this.lookup("serverUrl"), realm: this.lookup("realm") }, req.getId(), ownerFromUrn(req.getUrn()));
            res.setId(imported.id);
            res.setProperties(toStruct(this.outputs(kind, imported.props)));
            res.setInputs(toStruct(withSecrets(imported.inputs as Props, secretsOf(kind).inputs)));
            return res;
          }
          const read = await this.providers[kind].read(req.getId(), props as object);
          // Gone: an empty answer tells the engine to drop the resource.
          if (!read.id || !read.props) return res;
          res.setId(read.id);
          res.setProperties(toStruct(this.outputs(kind, read.props, fromStruct(req.getProperties()))));
          res.setInputs(toStruct(inputs));
          return res;
        },
        undefined,
        urnOfCheck,
      ),

      update: unary(
        async (req: proto.UpdateRequest) => {
          const kind = kindName(req.getType() || parseUrn(req.getUrn()).type);
          const olds = unwrapSecrets(fromStruct(req.getOlds()));
          const news = unwrapSecrets(fromStruct(req.getNews()));
          const res = new proto.UpdateResponse();
          if (req.getPreview()) return res.setProperties(toStruct(this.previewOutputs(kind, news, olds)));
          const like = { ...fromStruct(req.getOlds()), ...fromStruct(req.getNews()) };
          const updated = await this.withSecretPartialState(kind, like, () =>
            this.providers[kind].update(req.getId(), olds as object, { ...news, [OWNER_KEY]: ownerFromUrn(req.getUrn()) } as BaseInputs),
          );
          return res.setProperties(toStruct(this.outputs(kind, updated.outs ?? olds, like)));
        },
        (req) => fromStruct(req.getNews()),
        urnOfCheck,
      ),

      delete: unary(
        async (req: proto.DeleteRequest) => {
          const kind = kindName(req.getType() || parseUrn(req.getUrn()).type);
          await this.providers[kind].delete(req.getId(), unwrapSecrets(fromStruct(req.getProperties())) as object);
          return new Empty();
        },
        undefined,
        urnOfCheck,
      ),

      // Requests run to completion: a registration cut short would leave a client the stack does not know.
      cancel: unary(async () => new Empty()),

      parameterize: unimplemented("Parameterize"),
      invoke: unimplemented("Invoke"),
      call: unimplemented("Call"),
      construct: unimplemented("Construct"),
      getMapping: unary(async () => new proto.GetMappingResponse()),
      getMappings: unary(async () => new proto.GetMappingsResponse()),
      list: (call) => {
        call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: `${PACKAGE} does not list resources` });
      },
    };
  }
}

function unimplemented(method: string): grpc.handleUnaryCall<unknown, never> {
  return (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: `${PACKAGE} does not implement ${method}` });
}

export { ResourceProviderService };
