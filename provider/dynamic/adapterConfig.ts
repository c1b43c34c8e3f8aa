import type * as pulumi from "@pulumi/pulumi";
import { readAdapterConfig } from "../registration/installEndpoint";
import { connectionOf, surfaced } from "./common";

interface WithAdapterConfig {
  serverUrl: string;
  realm: string;
  clientId: string;
  registrationAccessToken?: string;
  /** keycloak.json as text (secret output), present when the program asks for it. */
  adapterConfig?: string;
}

async function fetchInto<T extends WithAdapterConfig>(outs: T): Promise<T> {
  const conn = connectionOf(outs);
  try {
    const config = await readAdapterConfig(conn, outs.clientId, { kind: "registration access token", value: outs.registrationAccessToken ?? "" });
    return { ...outs, adapterConfig: JSON.stringify(config, null, 2) };
  } catch (e) {
    throw surfaced(e);
  }
}

/**
 * Adds the optional `adapterConfig` output (the `install` endpoint's keycloak.json) to a provider
 * whose state carries a registration access token: fetched after create and update when the
 * program sets `fetchAdapterConfig: true`, and on refresh when the state already holds one. One extra
 * GET, only for clients that ask for it.
 */
export function withAdapterConfig(provider: pulumi.dynamic.ResourceProvider): pulumi.dynamic.ResourceProvider {
  return {
    ...provider,
    async diff(id, olds: WithAdapterConfig, news: { fetchAdapterConfig?: boolean }) {
      const result = await provider.diff!(id, olds, news);
      const toggled = Boolean(news.fetchAdapterConfig) !== (olds.adapterConfig !== undefined);
      return toggled ? { ...result, changes: true } : result;
    },
    async create(inputs: { fetchAdapterConfig?: boolean }) {
      const created = await provider.create(inputs);
      return inputs.fetchAdapterConfig ? { ...created, outs: await fetchInto(created.outs) } : created;
    },
    async read(id, props?: WithAdapterConfig) {
      const result = await provider.read!(id, props);
      return props?.adapterConfig !== undefined && result.props ? { ...result, props: await fetchInto(result.props) } : result;
    },
    async update(id, olds, news: { fetchAdapterConfig?: boolean }) {
      const result = await provider.update!(id, olds, news);
      return news.fetchAdapterConfig && result.outs ? { ...result, outs: await fetchInto(result.outs) } : result;
    },
  };
}
