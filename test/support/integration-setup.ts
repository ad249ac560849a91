// Real engines are slow to answer on a loaded 2-core machine; a hung call still fails, in minutes.
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
