namespace KShotNas.Search;

/// <summary>
/// NSGA-II's building blocks (Deb et al., 2002) over objective vectors to minimize: constrained domination,
/// fast non-dominated sorting and crowding distance.
/// </summary>
public static class Pareto
{
    /// <summary>
    /// Constrained domination: a feasible point dominates an infeasible one; of two infeasible points the smaller
    /// violation dominates; two feasible points compare by Pareto dominance (no worse in all, better in one).
    /// </summary>
    public static bool Dominates(double[] a, double[] b, double violationA = 0, double violationB = 0)
    {
        if (violationA == 0 && violationB > 0) return true;
        if (violationA > 0) return violationB > 0 && violationA < violationB;
        var strictly = false;
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] > b[i]) return false;
            if (a[i] < b[i]) strictly = true;
        }
        return strictly;
    }

    /// <summary>Fronts of indices: front 0 is non-dominated, front 1 is dominated only by front 0, and so on.</summary>
    public static List<List<int>> NonDominatedSort(IReadOnlyList<double[]> objectives, IReadOnlyList<double>? violations = null)
    {
        var n = objectives.Count;
        double V(int i) => violations?[i] ?? 0;
        var dominated = new List<int>[n];
        var count = new int[n];
        var fronts = new List<List<int>> { new() };
        for (var p = 0; p < n; p++)
        {
            dominated[p] = new List<int>();
            for (var q = 0; q < n; q++)
            {
                if (p == q) continue;
                if (Dominates(objectives[p], objectives[q], V(p), V(q))) dominated[p].Add(q);
                else if (Dominates(objectives[q], objectives[p], V(q), V(p))) count[p]++;
            }
            if (count[p] == 0) fronts[0].Add(p);
        }
        while (true)
        {
            var next = new List<int>();
            foreach (var p in fronts[^1])
                foreach (var q in dominated[p])
                    if (--count[q] == 0) next.Add(q);
            if (next.Count == 0) break;
            fronts.Add(next);
        }
        if (fronts[0].Count == 0) fronts.Clear();
        return fronts;
    }

    /// <summary>
    /// Crowding distance of each member of <paramref name="front"/> (in the front's order): for each objective, the
    /// normalized gap between a member's neighbours; boundary members get infinity.
    /// </summary>
    public static double[] CrowdingDistance(IReadOnlyList<double[]> objectives, IReadOnlyList<int> front)
    {
        var d = new double[front.Count];
        if (front.Count <= 2)
        {
            Array.Fill(d, double.PositiveInfinity);
            return d;
        }
        var m = objectives[front[0]].Length;
        for (var k = 0; k < m; k++)
        {
            var order = Enumerable.Range(0, front.Count).OrderBy(i => objectives[front[i]][k]).ToArray();
            double min = objectives[front[order[0]]][k], max = objectives[front[order[^1]]][k];
            d[order[0]] = d[order[^1]] = double.PositiveInfinity;
            if (max == min) continue;
            for (var i = 1; i < order.Length - 1; i++)
                d[order[i]] += (objectives[front[order[i + 1]]][k] - objectives[front[order[i - 1]]][k]) / (max - min);
        }
        return d;
    }
}
