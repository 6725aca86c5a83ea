/**
 * CloudWatch's verdict on an alarm for a set of datums of one period: its statistic over the matching datums against
 * its threshold.
 */
export function verdict(alarm: any, datums: any[]): 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' {
  const wanted = Object.fromEntries((alarm.Dimensions ?? []).map((d: any) => [d.Name, d.Value]));
  const values = datums
    .filter((d) => d.Namespace === alarm.Namespace && d.MetricName === alarm.MetricName)
    .filter(
      (d) =>
        d.Dimensions.length === Object.keys(wanted).length &&
        d.Dimensions.every((x: any) => wanted[x.Name] === x.Value),
    )
    .map((d) => d.Value);
  if (values.length === 0) return 'INSUFFICIENT_DATA';
  const stat = {
    Maximum: Math.max(...values),
    Minimum: Math.min(...values),
    Sum: values.reduce((a: number, b: number) => a + b, 0),
    SampleCount: values.length,
  } as Record<string, number>;
  const v = stat[alarm.Statistic];
  const breach = {
    GreaterThanThreshold: v > alarm.Threshold,
    LessThanThreshold: v < alarm.Threshold,
    GreaterThanOrEqualToThreshold: v >= alarm.Threshold,
    LessThanOrEqualToThreshold: v <= alarm.Threshold,
  }[alarm.ComparisonOperator as string];
  return breach ? 'ALARM' : 'OK';
}
