// A FunctionGraph Node.js function, written exactly as for the cloud (CommonJS).
// It says hello, tells what kind of event woke it, and echoes the event back.
exports.handler = async (event, context) => {
  const logger = context.getLogger();
  const type = eventType(event);
  logger.info(`hello invoked by a ${type} event`);
  console.log("remaining ms:", context.getRemainingTimeInMilliSeconds());
  return {
    message: `Hello from ${context.getFunctionName()} (${context.getVersion()})`,
    greeting: context.getUserData("GREETING") || "hello",
    eventType: type,
    time: new Date().toISOString(),
    requestId: context.getRequestID(),
    event,
  };
};

// FunctionGraph's own triggers mark their events; fgconnect's connectors send the same shapes.
function eventType(event) {
  if (event && typeof event === "object") {
    if (event.trigger_type) return event.trigger_type; // TIMER, KAFKA
    if (Array.isArray(event.Records)) return "OBS";
  }
  return "custom";
}
