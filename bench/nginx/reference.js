// The reference proxy's work in nginx's own JavaScript (njs 0.7): a second peer, with the key
// mapping done by nginx (`map`, in the generated nginx.conf) and the upstream call by its proxy
// module on kept-alive sockets. Started by bench/lib/nginx.js; nginx runs it, not Node.

function send(r) {
  if (!r.variables.blooio_authorization) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(401, '{"code":"unauthenticated"}');
    return;
  }
  var body = JSON.parse(r.requestText);
  r.subrequest(
    '/__blooio',
    {
      args: 'chat=' + encodeURIComponent(body.recipients.join(',')),
      method: 'POST',
      body: JSON.stringify({ text: body.text, from_number: body.sender }),
    },
    function (reply) {
      r.headersOut['Content-Type'] = 'application/json';
      r.return(reply.status >= 200 && reply.status < 300 ? 202 : reply.status, reply.responseText);
    },
  );
}

export default { send };
