/**
 * Where the functions' code comes from: the zips `cargo lambda build --release --arm64
 * --output-format zip` writes to `target/lambda/<bin>/bootstrap.zip`, or, only when asked
 * for (`-c placeholderCode=true`), a placeholder that lets `cdk synth` and the tests run
 * on a machine that has not built the Rust code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** A `bootstrap` that fails every invocation with a message saying what to do. */
export const PLACEHOLDER_DIR = path.resolve(__dirname, '..', 'placeholder');

export type CodeSource = { kind: 'zip'; path: string } | { kind: 'placeholder'; path: string };

export function codeSource(lambdaDir: string, bin: string, placeholderCode: boolean): CodeSource {
  const zip = path.join(lambdaDir, bin, 'bootstrap.zip');
  if (fs.existsSync(zip)) return { kind: 'zip', path: zip };
  if (placeholderCode) return { kind: 'placeholder', path: PLACEHOLDER_DIR };
  throw new Error(
    `${zip} does not exist. Build the functions first, from the repository root:\n` +
      `  cargo lambda build --release --arm64 --output-format zip -p offboard-lambdas\n` +
      `or point -c lambdaDir=DIR at a folder holding <bin>/bootstrap.zip. ` +
      `To synthesize without them (tests only, never deploy), pass -c placeholderCode=true.`,
  );
}

export function functionCode(source: CodeSource): lambda.Code {
  return lambda.Code.fromAsset(source.path);
}
