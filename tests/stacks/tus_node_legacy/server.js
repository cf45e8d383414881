// tus-node-server 0.9 (tus.io's Node server before @tus/server) with its file store, on
// 127.0.0.1:
//   XDG_CONFIG_HOME=DIR node server.js DIRECTORY PORT
// Prints "ready" once it listens. It keeps a finished upload under its URL (HEAD answers
// offset = length) and has no receipt route. Its file store keeps the upload records with
// configstore, under $XDG_CONFIG_HOME. For tests only.
"use strict";
const tus = require("tus-node-server");

const [directory, port] = process.argv.slice(2);
const server = new tus.Server({ path: "/files" });
server.datastore = new tus.FileStore({ path: "/files", directory });
server.listen({ host: "127.0.0.1", port: Number(port) }, () => console.log("ready"));
