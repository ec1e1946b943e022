/**
 * The page's link to whoever hosts it: VS Code's webview API, or a shim in the standalone HTML file, so the
 * rendering code never knows which.
 */
import type { FromWebview, WebviewState } from '../../core/src/protocol/webview';

export interface Host {
  post(message: FromWebview): void;
  getState(): WebviewState | undefined;
  setState(state: WebviewState): void;
  /** Standalone pages have no editor to reveal source in. */
  readonly standalone: boolean;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  // Injected by VS Code into webviews; absent in a plain browser.
  function acquireVsCodeApi(): VsCodeApi;
}

export function createHost(): Host {
  if (typeof acquireVsCodeApi === 'function') {
    const api = acquireVsCodeApi();
    return {
      post: (m) => api.postMessage(m),
      getState: () => (api.getState() ?? undefined) as WebviewState | undefined,
      setState: (s) => api.setState(s),
      standalone: false,
    };
  }
  let state: WebviewState | undefined;
  return {
    // A standalone report has no extension to talk to; an event lets an embedding page listen anyway.
    post: (m) => window.dispatchEvent(new CustomEvent('lipschitz-lens-message', { detail: m })),
    getState: () => state,
    setState: (s) => {
      state = s;
    },
    standalone: true,
  };
}
