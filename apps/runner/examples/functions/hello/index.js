// A FunctionGraph Node.js handler, unchanged from what you would deploy: it receives the
// timer trigger's event and answers with a greeting.
exports.handler = async (event, context) => {
  const log = context.getLogger();
  log.info(
    `${event.trigger_type ?? "event"} ${event.trigger_name ?? ""} at ${event.time ?? new Date().toISOString()}`,
  );
  return {
    greeting: event.user_event || "hello",
    firedAt: event.time,
    requestId: context.getRequestID(),
  };
};
