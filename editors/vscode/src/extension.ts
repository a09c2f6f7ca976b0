// Starts `pipec lsp` (the language server, docs/editors.md) for .pipe files and stops it with the
// editor. The command comes from the `pipec.path` setting; a change to it restarts the server.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const config = vscode.workspace.getConfiguration("pipec");
  const command = config.get<string>("path", "pipec") || "pipec";
  return { command, args: ["lsp"] };
}

function clientOptions(): LanguageClientOptions {
  const config = vscode.workspace.getConfiguration("pipec");
  return {
    documentSelector: [{ language: "pipe" }],
    initializationOptions: { debounce: config.get<number>("debounce", 0.1) },
  };
}

async function start(): Promise<void> {
  client = new LanguageClient("pipec", "pipec", serverOptions(), clientOptions());
  try {
    await client.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(
      `pipec: could not start '${vscode.workspace.getConfiguration("pipec").get("path")} lsp' (${message}). ` +
        "Install pipec with its language server (pip install 'pipec[lsp]') or set pipec.path.",
    );
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("pipec")) {
        await client?.stop();
        await start();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
