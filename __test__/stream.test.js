'use strict'

const { Receiver } = require('ws')

const { Stream } = require('..')
const { memoryPair, sink, once } = require('./helpers/pair')
const { hex, wsFrame, KEY } = require('./helpers/frames')

describe('Stream', () => {
  describe('new Stream(source, [options])', () => {
    it('validates its arguments', () => {
      expect(() => new Stream(null)).toThrow(/"source" argument must be a Duplex stream/)
      expect(() => new Stream(sink(), { mask: 'yes' })).toThrow(/"options.mask"/)
      expect(() => new Stream(sink(), { opcode: 9 })).toThrow(/"options.opcode"/)
    })
  })

  describe('writeHead(head) and write(chunk)', () => {
    it('writes one frame per write with the default head', async () => {
      const source = sink()
      const stream = new Stream(source, { opcode: 0x02 })
      stream.write(Buffer.from('ab'))
      await new Promise((resolve) => setImmediate(resolve))
      expect(source.bytes()).toEqual(hex('0202 6162'))
    })

    it('follows the head: fin, opcode, rsv1, a given masking key', async () => {
      const source = sink()
      const stream = new Stream(source)
      stream.writeHead({ fin: true, opcode: 0x01, masking: KEY })
      stream.write(Buffer.from('Hello'))
      await new Promise((resolve) => setImmediate(resolve))
      expect(source.bytes()).toEqual(hex('818537fa213d7f9f4d5158'))
      stream.writeHead({ fin: true, opcode: 0x02, rsv1: true })
      stream.write(Buffer.from([1]))
      await new Promise((resolve) => setImmediate(resolve))
      expect(source.bytes().subarray(11)).toEqual(hex('c201 01'))
    })

    it('continues one frame over several writes up to head.length', async () => {
      const source = sink()
      const stream = new Stream(source, { mask: true })
      stream.writeHead({ fin: true, opcode: 0x01, length: 11 })
      stream.write(Buffer.from('Hello'))
      stream.write(Buffer.from(' world'))
      await new Promise((resolve) => setImmediate(resolve))
      const seen = []
      const receiver = new Receiver({ isServer: true })
      receiver.on('message', (data) => seen.push(data.toString()))
      receiver.write(source.bytes())
      expect(seen).toEqual(['Hello world'])
    })

    it('rejects heads ws would not accept', async () => {
      const stream = new Stream(sink())
      expect(() => stream.writeHead({ opcode: 16 })).toThrow(/"head.opcode"/)
      expect(() => stream.writeHead({ fin: 1 })).toThrow(/"head.fin"/)
      expect(() => stream.writeHead({ masking: Buffer.alloc(3) })).toThrow(/"head.masking"/)
      expect(() => stream.writeHead({ length: -1 })).toThrow(/"head.length"/)
      stream.writeHead({ opcode: 0x09, fin: true })
      const failed = once(stream, 'error')
      stream.write(Buffer.alloc(126))
      const [err] = await failed
      expect(err).toBeInstanceOf(RangeError)
    })
  })

  describe("'head', the readable side and 'done'", () => {
    it('reports each head before its payload, unmasked, then done', async () => {
      const [a, b] = memoryPair()
      const reader = new Stream(a)
      const events = []
      reader.on('head', (head) => events.push(['head', head]))
      reader.on('data', (chunk) => events.push(['data', chunk.toString()]))
      reader.on('done', () => events.push(['done']))
      b.write(wsFrame(0x01, 'Hel', { fin: false, mask: true }))
      b.write(wsFrame(0x00, 'lo', { fin: true, mask: false }))
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(events).toEqual([
        [
          'head',
          {
            fin: false,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode: 1,
            mask: true,
            masking: KEY,
            length: 3,
          },
        ],
        ['data', 'Hel'],
        ['done'],
        [
          'head',
          {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode: 0,
            mask: false,
            masking: null,
            length: 2,
          },
        ],
        ['data', 'lo'],
        ['done'],
      ])
    })

    it('streams a large frame in pieces instead of buffering it whole', async () => {
      const [a, b] = memoryPair()
      const reader = new Stream(a)
      const sizes = []
      reader.on('data', (chunk) => sizes.push(chunk.length))
      const done = once(reader, 'done')
      const frame = wsFrame(0x02, Buffer.alloc(100000, 1))
      for (let at = 0; at < frame.length; at += 10000) b.write(frame.subarray(at, at + 10000))
      await done
      expect(sizes.length).toBeGreaterThan(1)
      expect(sizes.reduce((x, y) => x + y, 0)).toBe(100000)
    })

    it('emits an error and destroys the source on a malformed header', async () => {
      const [a, b] = memoryPair()
      const reader = new Stream(a)
      const failed = once(reader, 'error')
      b.write(hex('8300'))
      const [err] = await failed
      expect(err.code).toBe('WS_ERR_INVALID_OPCODE')
      expect(a.destroyed).toBe(true)
    })
  })
})
