// The reference tus server from tus.io (@tus/server with its file store), on 127.0.0.1:
//   node server.js DIRECTORY PORT
// Prints "ready" once it listens. For tests only: the kiosk's uploader against a server this
// project did not write.
"use strict";
const http = require("http");
const { Server } = require("@tus/server");
const { FileStore } = require("@tus/file-store");

const [directory, port] = process.argv.slice(2);
const tus = new Server({ path: "/files", datastore: new FileStore({ directory }) });
http
  .createServer((req, res) => tus.handle(req, res))
  .listen(Number(port), "127.0.0.1", () => console.log("ready"));
