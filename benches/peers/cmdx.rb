# frozen_string_literal: true

# The seven peer scenarios on the CMDx gem. Run by `benches/peers/run`, which
# alternates this with the Rust side and prints the table; by hand:
#
#   CMDX_GEM_LIB=/path/to/cmdx/lib ruby --yjit benches/peers/cmdx.rb [seconds]
#
# Prints one JSON object per scenario: {"scenario", "ns_per_op", "allocs_per_op", "ops"}.
# Every op builds its input fresh; the log line is formatted by CMDx's JSON
# formatter and written to the null device.

require_relative "shims"
$LOAD_PATH.unshift(ENV.fetch("CMDX_GEM_LIB"))
require "cmdx"

CMDx.configure do |config|
  config.logger = Logger.new(File::NULL, progname: "cmdx", formatter: CMDx::LogFormatters::JSON.new)
end

class Reserve < CMDx::Task
  required :sku_id, coerce: :integer, numeric: { min: 1 }
  required :quantity, coerce: :integer, numeric: { min: 1 }

  def work
    context.reserved = quantity
  end
end

class ReserveFails < Reserve
  def work
    fail!("Insufficient stock", code: :out_of_stock)
  end
end

class ReserveSkips < Reserve
  def work
    skip!
  end
end

class ReserveQuiet < Reserve
  settings(logger: Logger.new(nil))
end

class Grandchild < CMDx::Task
  def work
    context.depth = 2
  end
end

class Child < CMDx::Task
  def work
    Grandchild.execute(depth: 1)
  end
end

class Outer < CMDx::Task
  def work
    Child.execute(depth: 0)
  end
end

class StepA < CMDx::Task
  def work
    context.a = 1
  end

  def rollback
    context.undone_a = true
  end
end

class StepB < CMDx::Task
  def work
    context.b = 2
  end

  def rollback
    context.undone_b = true
  end
end

class StepC < CMDx::Task
  def work
    context.c = 3
  end
end

class StepCFails < CMDx::Task
  def work
    fail!("declined", code: :declined)
  end
end

class ThreeSteps < CMDx::Task
  include CMDx::Workflow

  task StepA
  task StepB
  task StepC
end

class ThreeStepsFailing < CMDx::Task
  include CMDx::Workflow

  task StepA
  task StepB
  task StepCFails
end

SCENARIOS = {
  "success" => -> { Reserve.execute(sku_id: 42, quantity: 3) },
  "fail" => -> { ReserveFails.execute(sku_id: 42, quantity: 3) },
  "skip" => -> { ReserveSkips.execute(sku_id: 42, quantity: 3) },
  "nested3" => -> { Outer.execute },
  "workflow3" => -> { ThreeSteps.execute(order_id: 7) },
  "workflow_fail_rollback" => -> { ThreeStepsFailing.execute(order_id: 7) },
  "success_nolog" => -> { ReserveQuiet.execute(sku_id: 42, quantity: 3) }
}.freeze

# The outcome each scenario must have: a benchmark of the wrong path is worthless.
EXPECTED = {
  "success" => "success", "fail" => "failed", "skip" => "skipped", "nested3" => "success",
  "workflow3" => "success", "workflow_fail_rollback" => "failed", "success_nolog" => "success"
}.freeze

seconds = Float(ARGV.fetch(0, "1.0"))
only = ENV["PEERS_ONLY"]&.split(",")

SCENARIOS.each do |name, op|
  next if only && !only.include?(name)

  status = op.call.status
  raise "#{name}: expected #{EXPECTED[name]}, got #{status}" unless status == EXPECTED[name]

  # Warm up (YJIT compiles), then time batches until `seconds` have passed.
  deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + (seconds / 4)
  op.call while Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline

  ops = 0
  allocated = GC.stat(:total_allocated_objects)
  start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
  finish = start + (seconds * 1e9)
  now = start
  while now < finish
    100.times { op.call }
    ops += 100
    now = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
  end
  allocs = GC.stat(:total_allocated_objects) - allocated
  puts JSON.generate(scenario: name, ns_per_op: (now - start).fdiv(ops), allocs_per_op: allocs.fdiv(ops), ops: ops)
end
