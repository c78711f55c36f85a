# Compatibility shims: CMDx 2 targets Ruby >= 3.3; Debian ships 3.1.
require "set"      # 3.2+ autoloads Set
require "json"
require "logger"
require "bigdecimal"

unless defined?(Data) && Data.respond_to?(:define)
  # 3.2+ Data.define: an immutable value class with keyword or positional arguments.
  class Data
    def self.define(*fields, &block)
      klass = Struct.new(*fields, keyword_init: false) do
        def initialize(*args, **kwargs)
          if args.empty? && !kwargs.empty?
            super(*self.class.members.map { |m| kwargs.fetch(m) })
          else
            super(*args)
          end
          freeze
        end

        def with(**changes)
          self.class.new(**to_h.merge(changes))
        end
      end
      klass.class_eval(&block) if block
      klass
    end
  end
end

require "securerandom"
unless SecureRandom.respond_to?(:uuid_v7)
  # 3.3+ SecureRandom.uuid_v7 (RFC 9562): 48-bit Unix ms, version 7, variant, random bits.
  module SecureRandom
    def self.uuid_v7
      ms = Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond)
      bytes = [ms >> 16, ms & 0xffff].pack("Nn") + random_bytes(10)
      bytes.setbyte(6, (bytes.getbyte(6) & 0x0f) | 0x70)
      bytes.setbyte(8, (bytes.getbyte(8) & 0x3f) | 0x80)
      hex = bytes.unpack1("H*")
      "#{hex[0, 8]}-#{hex[8, 4]}-#{hex[12, 4]}-#{hex[16, 4]}-#{hex[20, 12]}"
    end
  end
end

unless Fiber.respond_to?(:[])
  # 3.2+ fiber storage; approximated with fiber-locals (Thread#[]), which the
  # sequential scenarios cannot tell apart (no child fibers).
  class Fiber
    def self.[](key)
      Thread.current[key]
    end

    def self.[]=(key, value)
      Thread.current[key] = value
    end
  end
end
