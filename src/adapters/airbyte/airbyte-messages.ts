/**
 * The Airbyte protocol's messages, one JSON object per stdout line
 * (https://docs.airbyte.com/understanding-airbyte/airbyte-protocol).
 */
import { isConnectorError, makeError, type ConnectorError } from '../../errors.js';

export type AirbyteMessage = Record<string, unknown> & { type: string };

export function logMessage(
  level: 'INFO' | 'WARN' | 'ERROR' | 'DEBUG',
  message: string,
): AirbyteMessage {
  return { type: 'LOG', log: { level, message } };
}

export function recordMessage(stream: string, data: unknown, emittedAt: number): AirbyteMessage {
  return { type: 'RECORD', record: { stream, data, emitted_at: emittedAt } };
}

export function streamStateMessage(stream: string, state: Record<string, unknown>): AirbyteMessage {
  return {
    type: 'STATE',
    state: {
      type: 'STREAM',
      stream: { stream_descriptor: { name: stream }, stream_state: state },
    },
  };
}

export function streamStatusMessage(
  stream: string,
  status: 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE',
): AirbyteMessage {
  return {
    type: 'TRACE',
    trace: {
      type: 'STREAM_STATUS',
      emitted_at: Date.now(),
      stream_status: { stream_descriptor: { name: stream }, status },
    },
  };
}

/** Whose fault Airbyte should call it: config errors are the user's, cuts are transient. */
function failureType(error: ConnectorError): 'config_error' | 'transient_error' | 'system_error' {
  if (error.kind === 'config' || error.kind === 'auth' || error.kind === 'query')
    return 'config_error';
  return error.retryable ? 'transient_error' : 'system_error';
}

/** An error as a TRACE ERROR: the code leads the message, the hint follows it. */
export function errorTraceMessage(error: unknown, stream?: string): AirbyteMessage {
  const known = isConnectorError(error)
    ? error
    : makeError('INTERNAL', `Unexpected error: ${(error as Error)?.message ?? String(error)}`);
  return {
    type: 'TRACE',
    trace: {
      type: 'ERROR',
      emitted_at: Date.now(),
      error: {
        message: `${known.code}: ${known.message} ${known.hint}`,
        internal_message: JSON.stringify(known.toJSON()),
        failure_type: failureType(known),
        ...(stream ? { stream_descriptor: { name: stream } } : {}),
      },
    },
  };
}
