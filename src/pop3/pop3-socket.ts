import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { makeError, type ConnectorError } from '../errors.js';
import type { Pop3Options } from './pop3-client.js';

/** The POP3 connection: POP3S (TLS from the first byte) or plain, within the timeout. */
export function openSocket(options: Pop3Options): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket =
      options.security === 'tls'
        ? connectTls({ ...options.tls, host: options.host, port: options.port })
        : connectTcp({ host: options.host, port: options.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        makeError(
          'CONNECT_TIMEOUT',
          `No connection to ${options.host}:${options.port} within ${options.timeoutMs} ms.`,
        ),
      );
    }, options.timeoutMs);
    socket.once(options.security === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectError(error, options));
    });
  });
}

export function upgrade(socket: Socket, options: Pop3Options): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = connectTls({ ...options.tls, socket });
    secure.once('secureConnect', () => resolve(secure));
    secure.once('error', (error) => reject(connectError(error, options)));
  });
}

function connectError(error: NodeJS.ErrnoException, options: Pop3Options): ConnectorError {
  const where = `${options.host}:${options.port}`;
  if (error.code === 'ECONNREFUSED')
    return makeError('CONNECT_REFUSED', `Nothing accepts POP3 connections at ${where}.`, {
      cause: error,
    });
  if (/certificate|self.signed|ERR_TLS|SSL/i.test(`${error.code} ${error.message}`))
    return makeError('TLS_FAILED', `TLS with ${where} failed: ${error.message}.`, {
      cause: error,
    });
  return makeError('CONNECTION_LOST', `The connection to ${where} failed: ${error.message}.`, {
    cause: error,
  });
}
