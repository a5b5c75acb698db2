import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { locatePostgresBinaries, postgresBinariesVariable } from './postgres-binaries.js';

describe('locatePostgresBinaries', () => {
  let root: string;
  /** A fake installation: `<root>/versions/<version>/bin` with executable stand-ins. */
  const install = async (version: string, programs: readonly string[], versions = 'versions'): Promise<string> => {
    const bin = join(root, versions, version, 'bin');
    await mkdir(bin, { recursive: true });
    for (const program of programs) {
      await writeFile(join(bin, program), '#!/bin/sh\n');
      await chmod(join(bin, program), 0o755);
    }
    return bin;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'paymigrate-binaries-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('finds the installation of this machine', async () => {
    const directory = await locatePostgresBinaries({ environment: {} });
    expect(directory).toMatch(/bin$/);
  });

  test('uses PAYMIGRATE_POSTGRES_BIN when it holds the programs', async () => {
    const bin = await install('99', ['initdb', 'postgres', 'pg_isready']);
    expect(await locatePostgresBinaries({ environment: { [postgresBinariesVariable]: bin } })).toBe(bin);
  });

  test('rejects a PAYMIGRATE_POSTGRES_BIN without the programs, naming the variable', async () => {
    const bin = await install('98', ['initdb']);
    await expect(locatePostgresBinaries({ environment: { [postgresBinariesVariable]: bin } })).rejects.toThrow(
      /PAYMIGRATE_POSTGRES_BIN='.*98\/bin' does not hold the PostgreSQL server programs \(initdb, postgres, pg_isready\)/,
    );
  });

  test('ignores a blank PAYMIGRATE_POSTGRES_BIN', async () => {
    expect(await locatePostgresBinaries({ environment: { [postgresBinariesVariable]: ' ' } })).toMatch(/bin$/);
  });

  test('without pg_config, takes the newest complete version folder', async () => {
    await install('9.6', ['initdb', 'postgres', 'pg_isready'], 'debian');
    const newest = await install('16', ['initdb', 'postgres', 'pg_isready'], 'debian');
    await install('17', ['initdb'], 'debian');
    await mkdir(join(root, 'debian', 'not-a-version'), { recursive: true });
    const found = await locatePostgresBinaries({
      environment: {},
      pgConfigCommand: '/nonexistent/pg_config',
      versionsDirectory: join(root, 'debian'),
    });
    expect(found).toBe(newest);
  });

  test('says how to install PostgreSQL when nothing is found', async () => {
    await expect(
      locatePostgresBinaries({ environment: {}, pgConfigCommand: 'false', versionsDirectory: join(root, 'missing') }),
    ).rejects.toThrow('install postgresql: apt-get install postgresql');
  });
});
