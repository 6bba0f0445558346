// The Node reference: a bare socket.io server speaking the same event shapes as kit, storing nothing.
// Each vote sends its contribution's new count to the screen at once (kit coalesces counts).
//   node benchmarks/node/server.js PORT
const http = require("http");
const { Server } = require("socket.io");
const crypto = require("crypto");

const CODE = "BENCH1";
const port = Number(process.argv[2] || 8200);
const httpServer = http.createServer((req, res) => { res.writeHead(200); res.end("ok"); });
const io = new Server(httpServer, { pingInterval: 10000, pingTimeout: 20000, maxHttpBufferSize: 64 * 1024 });
const state = { version: 1, stepId: 1 };
const shown = [];
const supporters = new Map(); // contribution id -> Set of voters' tokens
let ids = 0;

const guard = (key) => (socket, next) => {
  const auth = socket.handshake.auth || {};
  if (auth.meeting !== CODE || (key && auth.key !== key)) return next(new Error("forbidden"));
  next();
};

io.of("/phone").use(guard(null)).on("connection", (socket) => {
  socket.join("meeting");
  socket.emit("snapshot", { version: state.version, step: { id: state.stepId } });
  socket.on("join", (data, ack) => {
    socket.data.token = crypto.randomBytes(12).toString("hex");
    ack({ ok: true, token: socket.data.token, snapshot: { version: state.version } });
  });
  socket.on("contribute", (data, ack) => {
    const id = ++ids;
    state.version += 1;
    const item = { id, key: `c${id}`, step_id: state.stepId, data: { text: String(data.data.text) } };
    shown.push(item);
    io.of("/screen").to("meeting").emit("contribution", { version: state.version, step_id: state.stepId, key: item.key, item });
    ack({ ok: true, id, client_id: data.client_id, step_id: state.stepId });
  });
  socket.on("vote", (data, ack) => {
    const id = data.contribution_id;
    if (!Number.isInteger(id) || typeof data.vote !== "boolean") return ack({ ok: false, error: { code: "bad_request", message: "no" } });
    if (!supporters.has(id)) supporters.set(id, new Set());
    const people = supporters.get(id);
    const who = socket.data.token || socket.id;
    const changed = people.has(who) !== data.vote;
    if (data.vote) people.add(who); else people.delete(who);
    if (changed) {
      state.version += 1;
      io.of("/screen").to("meeting").emit("counts", { version: state.version, step_id: state.stepId, votes: { [id]: people.size } });
    }
    ack({ ok: true, contribution_id: id, vote: data.vote, changed });
  });
});

io.of("/screen").use(guard("screen")).on("connection", (socket) => {
  socket.join("meeting");
  socket.on("sync", (data, ack) => {
    const votes = {};
    for (const [id, people] of supporters) if (people.size) votes[id] = people.size;
    (typeof data === "function" ? data : ack)({ ok: true, snapshot: { version: state.version, items: shown, votes } });
  });
});

io.of("/console").use(guard("console")).on("connection", (socket) => {
  socket.on("next", (data, ack) => {
    state.version += 1;
    state.stepId += 1;
    const payload = { version: state.version, step: { id: state.stepId } };
    io.of("/phone").to("meeting").emit("state", payload);
    io.of("/screen").to("meeting").emit("state", payload);
    (typeof data === "function" ? data : ack)({ ok: true, version: state.version, current_step_id: state.stepId });
  });
});

httpServer.listen(port, "127.0.0.1", 1024, () => console.log("ready"));
