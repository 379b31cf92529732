"""An independent e-port signing client simulator (DESIGN.md §8), written from the protocol, not from signer-sim.

WebSocket on ws://HOST:PORT/: greets every connection with the `open` frame, then answers
`{"_id":N,"_method":"cus-sec_SpcSignDataAsPEM","args":{"inData","passwd"}}` after --latency-ms with a real
SHA1withRSA signature (base64, no PEM armour) and the cert number, one request at a time per connection (a card
reader). `_id` is echoed as it came (int or string). GET /public.pem serves the public key.
"""

import argparse
import asyncio
import base64
import json

from aiohttp import WSMsgType, web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGN = "cus-sec_SpcSignDataAsPEM"
CERT_NO = "cus-sec_SpcGetCertNo"


def reply(request_id, method, result, data, errors, status="00"):
    body = {"Result": result, "Data": data, "Error": errors}
    return json.dumps({"_id": request_id, "_method": method, "_status": status, "_args": body}, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=61232)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--key-bits", type=int, default=1024)
    parser.add_argument("--password", default="88888888")
    parser.add_argument("--cert-no", default="PYSIM-0001")
    args = parser.parse_args()

    key = rsa.generate_private_key(public_exponent=65537, key_size=args.key_bits)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    latency = args.latency_ms / 1000
    served = 0

    def answer(text):
        try:
            request = json.loads(text)
        except ValueError:
            return reply(0, "", False, [], ["Err:BadRequest"], status="01")
        request_id = request.get("_id", 0)
        method = request.get("_method", "")
        params = request.get("args") or {}
        if method == CERT_NO:
            return reply(request_id, method, True, [args.cert_no], [])
        if method != SIGN:
            return reply(request_id, method, False, [], ["Err:UnknownMethod", str(method)], status="01")
        in_data, passwd = params.get("inData"), params.get("passwd")
        if not isinstance(in_data, str) or passwd != args.password:
            return reply(request_id, method, False, [], ["Err:Custom50070", "bad inData or passwd"])
        signature = key.sign(in_data.encode(), padding.PKCS1v15(), hashes.SHA1())
        return reply(request_id, method, True, [base64.b64encode(signature).decode(), args.cert_no], [])

    async def websocket(request):
        nonlocal served
        ws = web.WebSocketResponse(max_msg_size=8 << 20, autoping=True)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"_id": 0, "_method": "open", "_status": "00",
                                      "_args": {"Result": True, "Data": ["pysim e-port 1.0"], "Error": []}}))
        async for message in ws:  # serial: the next request is read only after this one is answered
            if message.type != WSMsgType.TEXT:
                continue
            if latency > 0:
                await asyncio.sleep(latency)
            served += 1
            await ws.send_str(answer(message.data))
        return ws

    async def public_key(_request):
        return web.Response(body=public_pem, content_type="application/x-pem-file")

    async def stats(_request):
        return web.json_response({"requests": served})

    app = web.Application()
    app.router.add_get("/", websocket)
    app.router.add_get("/public.pem", public_key)
    app.router.add_get("/stats", stats)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
