/** The workflows the worker registers (bundled from this file). */
export { processWhatsappEvent } from './process-event';
export { deadLetterAlertGroup } from './dead-letter-alerts';
export { sessionWatchdog } from './session-watchdog';
